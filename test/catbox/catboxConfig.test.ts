import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { linkPassword, relinkerPassword, renderNetworkFiles, restartChecksum } from "../../components/catbox/files";
import { parseConfig } from "../../components/config/parse";
import { containerLinkPort } from "../../components/catbox/names";
import { parseCatboxConf, parseOpersConf, parseServersConf, parseUsersConf } from "../support/catboxFormat";
import { config, placeholderTls, raw } from "../support/helpers";

const secrets = { linkSecret: "network-secret-0123456789", ...placeholderTls };

/** Render a network and read every file back the way catbox does. */
function network(values: Record<string, string> = {}, secretKeys: string[] = ["opers"]) {
    // Nodes enough for 20 daemons: the files do not depend on them.
    const cfg = parseConfig(raw({ machineType: "e2-standard-4", ...values }, secretKeys));
    const files = renderNetworkFiles(cfg, secrets);
    const daemons = Array.from({ length: cfg.replicas }, (_, n) => {
        const conf = parseCatboxConf(files[`${cfg.networkName}-${n}.conf`]);
        const path = (key: string) => {
            const p = conf.map.get(key)!;
            assert.ok(p.startsWith("/etc/catbox/"), `${key} = ${p}`);
            const name = p.slice("/etc/catbox/".length);
            assert.ok(name in files, `${key} names ${name}, which is not in the Secret`);
            return files[name];
        };
        return {
            conf,
            servers: parseServersConf(path("servers-config")),
            opers: parseOpersConf(path("opers-config")),
            users: parseUsersConf(path("users-config")),
            certificate: path("certificate-file"),
            key: path("key-file"),
        };
    });
    return { cfg, files, daemons };
}

function assertNetwork(n: number) {
    const { daemons } = network({ replicas: String(n) });
    assert.equal(daemons.length, n);
    const names = daemons.map((d) => d.conf.serverName.toLowerCase());
    const sids = daemons.map((d) => d.conf.ts6Sid);
    assert.equal(new Set(names).size, n, "server names unique");
    assert.equal(new Set(sids).size, n, "SIDs unique");
    for (const sid of sids) assert.match(sid, /^[0-9][0-9A-Z]{2}$/);

    daemons.forEach((d, i) => {
        assert.ok(!d.servers.has(names[i]), `daemon ${i} lists itself`);
        assert.deepEqual([...d.servers.keys()].sort(), names.filter((_, j) => j !== i).sort(), `daemon ${i} lists every other`);
        for (const s of d.servers.values()) {
            const j = names.indexOf(s.name);
            assert.equal(s.hostname, `catbox-${j}.irc.svc.cluster.local`);
            assert.equal(s.port, 6667);
            assert.equal(s.tls, false);
            // catbox's link check: A's entry for B must hold B's entry for A.
            assert.equal(s.pass, daemons[j].servers.get(names[i])!.pass, `pair ${i}/${j} passwords differ`);
        }
    });
    // One password per pair: no two pairs share one.
    const passwords = daemons.flatMap((d, i) => [...d.servers.values()].filter((s) => names.indexOf(s.name) > i).map((s) => s.pass));
    assert.equal(passwords.length, (n * (n - 1)) / 2);
    assert.equal(new Set(passwords).size, passwords.length);
    return daemons;
}

describe("catbox files, read back with catbox's rules", () => {
    it("N = 2: the article's network", () => {
        const [d0, d1] = assertNetwork(2);
        assert.equal(d0.conf.serverName, "irc0.example.org");
        assert.equal(d1.conf.serverName, "irc1.example.org");
        assert.equal(d0.conf.listenPort, String(containerLinkPort));
        assert.notEqual(d0.conf.listenPortTls, "-1", "clients connect over TLS");
    });
    it("N = 1: no links, still valid", () => {
        const [d0] = assertNetwork(1);
        assert.equal(d0.servers.size, 0);
    });
    it("N = 20", () => {
        assertNetwork(20);
    });

    it("growing from 2 to 3 keeps daemons 0 and 1's names, SIDs and pair password", () => {
        const two = network({ replicas: "2" }).daemons;
        const three = network({ replicas: "3", nodeCount: "3" }).daemons;
        for (const i of [0, 1]) {
            assert.equal(three[i].conf.serverName, two[i].conf.serverName);
            assert.equal(three[i].conf.ts6Sid, two[i].conf.ts6Sid);
        }
        assert.equal(three[0].servers.get("irc1.example.org")!.pass, two[0].servers.get("irc1.example.org")!.pass);
    });

    it("is deterministic: the same config gives byte-identical files, whatever order the keys came in", () => {
        const values = { replicas: "5", nodeCount: "5", opers: '{"zed":"pw1","alice":"pw2"}', users: '[{"usermask":"*","hostmask":"*"}]' };
        const a = network(values).files;
        const b = network({ ...values, opers: '{"alice":"pw2","zed":"pw1"}' }).files;
        assert.equal(JSON.stringify(a), JSON.stringify(b), "file names or contents differ, or come in another order");
        assert.deepEqual(Object.keys(a), [...Object.keys(a)].sort());
        for (const [name, text] of Object.entries(a)) assert.ok(text.endsWith("\n"), `${name} does not end with a newline`);
    });

    it("carries the stack config into catbox.conf", () => {
        const [d] = network({
            motd: "Welcome, be nice",
            serverInfo: "My IRC",
            maxNickLength: "30",
            pingTime: "1m",
            deadTime: "5m",
            connectAttemptTime: "5s",
            adminEmail: "admin@example.org",
        }).daemons;
        assert.equal(d.conf.motd, "Welcome, be nice");
        assert.equal(d.conf.serverInfo, "My IRC");
        assert.equal(d.conf.maxNickLength, 30);
        assert.equal(d.conf.map.get("ping-time"), "1m");
        assert.equal(d.conf.map.get("dead-time"), "5m");
        assert.equal(d.conf.map.get("connect-attempt-time"), "5s");
        assert.equal(d.conf.map.get("admin-email"), "admin@example.org");
    });

    it("renders opers and users as catbox reads them", () => {
        const [d] = network({
            opers: '{"alice":"pw-Alice1","bob":"pw-Bob2"}',
            users: '[{"id":"staff","usermask":"~*","hostmask":"*.example.org","floodExempt":true,"spoof":"staff.example.org"},{"usermask":"bot?","hostmask":"10.0.0.*"}]',
        }).daemons;
        // And the stack's own, for the reloaders (the bans, the links between regions).
        assert.deepEqual(Object.fromEntries(d.opers), { alice: "pw-Alice1", bob: "pw-Bob2", relinker: relinkerPassword(secrets.linkSecret) });
        assert.deepEqual(d.users.get("staff"), { userMask: "~*", hostMask: "*.example.org", floodExempt: true, spoof: "staff.example.org" });
        assert.deepEqual(d.users.get("user1"), { userMask: "bot?", hostMask: "10.0.0.*", floodExempt: false, spoof: "" });
    });

    it("uses explicit serverNames and the cluster domain", () => {
        const { daemons } = network({
            serverNames: '["hub.example.net","leaf.example.net"]',
            clusterDomain: "c.example",
            namespace: "chat",
            networkName: "efnet",
        });
        assert.equal(daemons[1].conf.serverName, "leaf.example.net");
        assert.equal(daemons[0].servers.get("leaf.example.net")!.hostname, "efnet-1.chat.svc.c.example");
    });

    it("puts the certificate and key in the Secret as given", () => {
        const { daemons } = network();
        assert.equal(daemons[0].certificate, placeholderTls.certificatePem);
        assert.equal(daemons[0].key, placeholderTls.keyPem);
    });
});

describe("link passwords", () => {
    it("are the same from either side, differ per pair and per secret, and are alphanumeric", () => {
        assert.equal(linkPassword("s", "a.example", "b.example"), linkPassword("s", "B.example", "a.example"));
        assert.notEqual(linkPassword("s", "a.example", "b.example"), linkPassword("s", "a.example", "c.example"));
        assert.notEqual(linkPassword("s", "a.example", "b.example"), linkPassword("t", "a.example", "b.example"));
        assert.match(linkPassword("s", "a", "b"), /^[0-9a-f]{40}$/);
    });
});

describe("restart checksum", () => {
    const sum = (values: Record<string, string>) => restartChecksum(config(values, ["opers"]));
    const base = sum({});

    for (const [key, value, more] of [
        ["motd", "new motd"],
        ["opers", '{"alice":"new-pass"}'],
        ["pingTime", "20s"],
        ["deadTime", "300s"],
        ["connectAttemptTime", "20s"],
        ["adminEmail", "new@example.org"],
        ["users", '[{"usermask":"*","hostmask":"*"}]'],
        // A pod of the default size fills an e2-small node: a third pod needs a third node.
        ["replicas", "3", { nodeCount: "3" }],
        ["clientPort", "6697"],
        ["linkPort", "6668"],
    ] as [string, string, Record<string, string>?][]) {
        it(`ignores ${key}: SIGHUP reloads it, or it is not in catbox.conf`, () => assert.equal(sum({ [key]: value, ...more }), base));
    }
    for (const [key, value] of [
        ["maxNickLength", "30"],
        ["serverInfo", "Other"],
        ["serverNamePattern", "chat{n}.example.org"],
        ["serverNames", '["a.example.org","b.example.org"]'],
    ] as const) {
        it(`changes with ${key}: catbox reads it only at start`, () => assert.notEqual(sum({ [key]: value }), base));
    }
});
