// catbox's own reading of its files, ported line by line from its Go source
// (horgh/config ReadStringMap; catbox config.go parseLink, parseUserConfig,
// checkAndParseConfig; util.go validity checks), so that tests read rendered
// files the way the daemon will. Throws where catbox would refuse to start.

/** horgh/config.ReadStringMap. */
export function readStringMap(text: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (line.startsWith("#")) continue;
        const eq = line.indexOf("=");
        if (eq < 0) continue;
        const key = line.slice(0, eq).trim().toLowerCase();
        const value = line.slice(eq + 1).trim();
        if (key.length === 0) throw new Error("key length is 0");
        if (out.has(key)) throw new Error(`config key defined twice: ${key}`);
        out.set(key, value);
    }
    return out;
}

const goDurationRe = /^(?:\d+(?:\.\d*)?(?:ns|us|µs|ms|s|m|h))+$/;
const isValidSID = (s: string) => /^[0-9][0-9A-Z]{2}$/.test(s);
const isValidHostname = (s: string) => /^[A-Za-z0-9-.]+$/.test(s);
const isValidUserMask = (s: string) => /^[a-zA-Z0-9*?~]+$/.test(s);
const isValidHostMask = (s: string) => /^[a-zA-Z0-9-.*?]+$/.test(s);

export interface CatboxConf {
    serverName: string;
    serverInfo: string;
    motd: string;
    ts6Sid: string;
    listenPort: string;
    listenPortTls: string;
    maxNickLength: number;
    map: Map<string, string>;
}

/** checkAndParseConfig's reading of catbox.conf (the include files are read separately). */
export function parseCatboxConf(text: string): CatboxConf {
    const m = readStringMap(text);
    const known = new Set([
        "listen-host",
        "listen-port",
        "listen-port-tls",
        "certificate-file",
        "key-file",
        "server-name",
        "server-info",
        "motd",
        "max-nick-length",
        "ping-time",
        "dead-time",
        "connect-attempt-time",
        "ts6-sid",
        "admin-email",
        "opers-config",
        "servers-config",
        "users-config",
    ]);
    for (const k of m.keys()) if (!known.has(k)) throw new Error(`unknown catbox.conf key ${k}`);
    const nick = m.get("max-nick-length");
    if (nick && (!/^[+-]?\d+$/.test(nick) || Number(nick) > 127 || Number(nick) < -128)) throw new Error("max nick length is not valid");
    for (const k of ["ping-time", "dead-time", "connect-attempt-time"]) {
        const v = m.get(k);
        if (v && !goDurationRe.test(v)) throw new Error(`${k} is in invalid format`);
    }
    const sid = m.get("ts6-sid") || "000";
    if (m.get("ts6-sid") && !isValidSID(sid)) throw new Error("invalid TS6 SID");
    if (m.get("listen-port-tls") && m.get("listen-port-tls") !== "-1" && (!m.get("certificate-file") || !m.get("key-file"))) {
        throw new Error("a TLS listen port needs certificate-file and key-file");
    }
    return {
        serverName: m.get("server-name") || "irc.example.com",
        serverInfo: m.get("server-info") || "IRC",
        motd: m.get("motd") || "Hello this is catbox",
        ts6Sid: sid,
        listenPort: m.get("listen-port") || "6667",
        listenPortTls: m.get("listen-port-tls") || "-1",
        maxNickLength: Number(nick || 9),
        map: m,
    };
}

export interface ServerDefinition {
    name: string;
    hostname: string;
    port: number;
    pass: string;
    tls: boolean;
}

/** servers.conf: name = hostname,port,password,tls. */
export function parseServersConf(text: string): Map<string, ServerDefinition> {
    const out = new Map<string, ServerDefinition>();
    for (const [name, v] of readStringMap(text)) {
        const pieces = v.split(",");
        if (pieces.length !== 4) throw new Error(`malformed server link information: ${name}: unexpected number of fields`);
        const hostname = pieces[0].trim();
        if (!hostname) throw new Error(`${name}: you must specify a hostname`);
        const port = pieces[1].trim();
        if (!/^[+-]?\d+$/.test(port)) throw new Error(`${name}: invalid port`);
        const pass = pieces[2].trim();
        if (!pass) throw new Error(`${name}: you must specify a password`);
        out.set(name, { name, hostname, port: Number(port), pass, tls: pieces[3] === "1" });
    }
    return out;
}

export interface UserConfig {
    userMask: string;
    hostMask: string;
    floodExempt: boolean;
    spoof: string;
}

/** users.conf: id = usermask,hostmask,floodexempt,spoof. */
export function parseUsersConf(text: string): Map<string, UserConfig> {
    const out = new Map<string, UserConfig>();
    for (const [name, v] of readStringMap(text)) {
        const p = v.split(",").map((x) => x.trim());
        if (p.length !== 4) throw new Error(`user config ${name}: unexpected number of fields`);
        if (!isValidUserMask(p[0])) throw new Error(`user config ${name}: invalid user mask`);
        if (!isValidHostMask(p[1])) throw new Error(`user config ${name}: invalid host mask`);
        if (p[2] !== "1" && p[2] !== "0") throw new Error(`user config ${name}: flood exempt flag must be 1 or 0`);
        if (p[3].length > 0 && !isValidHostname(p[3])) throw new Error(`user config ${name}: invalid spoof hostname`);
        out.set(name, { userMask: p[0], hostMask: p[1], floodExempt: p[2] === "1", spoof: p[3] });
    }
    return out;
}

/** opers.conf: name = password. */
export function parseOpersConf(text: string): Map<string, string> {
    return readStringMap(text);
}
