// IRC services: Atheme, linked to the network as a server of its own (TS6, as
// catbox speaks it: its protocol/charybdis module), with NickServ, ChanServ and
// OperServ. Its atheme.conf, and the names the component and the tests share.
// Pure: no Pulumi import.
import { linkPassword, serverNames } from "../catbox/files";
import { linkHost, servicesServerName, servicesSid } from "../catbox/names";

/** Where the pod keeps atheme's database (a persistent volume), and its file there. */
export const athemeDataDir = "/var/lib/atheme";
export const athemeDatabase = "services.db";

export interface AthemeSpec {
    serverName: string;
    sid: string;
    networkName: string;
    /** The daemons it may link to, tried in order: each by its link Service, with that pair's password. */
    uplinks: { name: string; host: string; port: number }[];
    linkSecret: string;
    /** catbox's opers: services' operators too, once identified to the account of that name. */
    opers: string[];
    /** Days before an unused nick or channel expires; 0: never. */
    expireDays: number;
    adminEmail?: string;
    /** Minutes between database saves: the most a crash loses. */
    commitMinutes: number;
}

/** The modules loaded: what catbox can carry (no SASL, no channel modes beyond +n, +s and +o, no forced nick change). */
const modules = [
    "protocol/charybdis",
    "backend/opensex",
    "crypto/pbkdf2v2",
    ...["main", "help", "register", "identify", "ghost", "info", "drop", "logout", "status", "set_core", "set_password", "set_email"].map(
        (m) => `nickserv/${m}`,
    ),
    ...["main", "help", "register", "info", "op", "flags", "topic", "drop", "set_core", "set_keeptopic"].map((m) => `chanserv/${m}`),
    ...["main", "help", "akill", "info", "uptime"].map((m) => `operserv/${m}`),
];

/** A string as atheme's config reads it: double-quoted, no quote or backslash inside (the config check keeps them out). */
const q = (s: string) => {
    if (/["\\\n]/.test(s)) throw new Error(`atheme.conf cannot hold ${JSON.stringify(s)}`);
    return `"${s}"`;
};

export function renderAthemeConf(s: AthemeSpec): string {
    const lines = [
        "/* Written by catbox-gke (components/services/atheme.ts) from stack config. */",
        ...modules.map((m) => `loadmodule "modules/${m}";`),
        "",
        "serverinfo {",
        `\tname = ${q(s.serverName)};`,
        `\tdesc = ${q(`${s.networkName} IRC services`)};`,
        `\tnumeric = ${q(s.sid)};`,
        "\trecontime = 5;",
        `\tnetname = ${q(s.networkName)};`,
        `\thidehostsuffix = ${q(`users.${s.serverName}`)};`,
        `\tadminname = ${q(`${s.networkName} operators`)};`,
        `\tadminemail = ${q(s.adminEmail ?? `root@${s.serverName}`)};`,
        `\tregisteremail = ${q(s.adminEmail ?? `noreply@${s.serverName}`)};`,
        // No mail is sent: registration needs no confirmation.
        "\tauth = none;",
        "\tcasemapping = rfc1459;",
        "};",
        "",
        ...s.uplinks.flatMap((u) => {
            const password = linkPassword(s.linkSecret, u.name, s.serverName);
            return [
                `uplink ${q(u.name)} {`,
                `\thost = ${q(u.host)};`,
                `\tport = ${u.port};`,
                `\tsend_password = ${q(password)};`,
                `\treceive_password = ${q(password)};`,
                "};",
            ];
        }),
        "",
        // No enforcement: catbox has no forced nick change (GHOST, a KILL, frees a nick).
        ...serviceBlock("nickserv", "NickServ", "Nickname Services", s, [`\texpire = ${s.expireDays};`, "\tmaxnicks = 5;"]),
        ...serviceBlock("chanserv", "ChanServ", "Channel Services", s, [`\texpire = ${s.expireDays};`, "\tmaxchans = 10;"]),
        ...serviceBlock("operserv", "OperServ", "Operator Services", s, []),
        "general {",
        "\tpermanent_akills = no;",
        `\tcommit_interval = ${s.commitMinutes};`,
        "\tdefault_clone_allowed = 5;",
        "\tdefault_clone_warn = 4;",
        "\tuplink_sendq_limit = 1048576;",
        '\tlanguage = "en";',
        "\tflood_msgs = 7;",
        "\tflood_time = 10;",
        "\tkline_time = 0;",
        "\tclone_time = 0;",
        "};",
        "",
        'logfile "/dev/stderr" { error; info; admin; register; set; request; denycmd; };',
        "",
        // catbox's opers, services' operators with every privilege once identified to the account of their name.
        'operclass "sra" {',
        '\tprivs = "user:auspex user:admin user:mark user:hold user:regnolimit chan:auspex chan:admin chan:cmodes general:auspex general:viewprivs general:flood general:metadata general:admin operserv:omode operserv:akill operserv:massakill operserv:jupe operserv:noop operserv:grant";',
        "};",
        ...s.opers.flatMap((name) => [`operator ${q(name)} {`, '\toperclass = "sra";', "};"]),
    ];
    return lines.join("\n") + "\n";
}

function serviceBlock(block: string, nick: string, real: string, s: AthemeSpec, extra: string[]): string[] {
    return [`${block} {`, `\tnick = ${q(nick)};`, `\tuser = ${q(nick)};`, `\thost = ${q(s.serverName)};`, `\treal = ${q(real)};`, ...extra, "};", ""];
}

/** atheme.conf's spec from the network's config: it may link in to any daemon of the region, daemon 0 first. */
export function athemeSpecOf(c: {
    networkName: string;
    namespace: string;
    clusterDomain: string;
    linkPort: number;
    replicas: number;
    serverNamePattern: string;
    serverNames?: string[];
    servicesName?: string;
    regionNumber: number;
    opers?: Record<string, string>;
    servicesExpireDays: number;
    adminEmail?: string;
}): Omit<AthemeSpec, "linkSecret"> {
    return {
        serverName: servicesServerName(c),
        sid: servicesSid(c.regionNumber),
        networkName: c.networkName,
        uplinks: serverNames(c).map((name, n) => ({ name, host: linkHost(c.networkName, c.namespace, c.clusterDomain, n), port: c.linkPort })),
        opers: Object.keys(c.opers ?? {}).sort(),
        expireDays: c.servicesExpireDays,
        adminEmail: c.adminEmail,
        commitMinutes: 1,
    };
}
