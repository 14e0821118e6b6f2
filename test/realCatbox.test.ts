// The real catbox, built from the version the image builds, on the files the
// program renders (the same path as `npm run render -- dev`), on loopback: one
// address per pod, each pod in its own PID namespace with its reloader, all
// reading one Secret volume laid out as kubelet lays it out. A client here is a
// client as a user's would be: TLS with Node's defaults (TLS 1.3), certificate
// checked. Skipped only where no catbox can be had, and never under CI=true.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { TLSSocket } from "node:tls";
import { catboxBinary, howToEnable } from "../scripts/realCatbox/binary";
import { IrcClient } from "../scripts/realCatbox/ircClient";
import { LocalNetwork, podLauncher } from "../scripts/realCatbox/localNetwork";
import { selfSignedPair, TlsPair } from "../scripts/realCatbox/tlsPair";
import { readStackFile, renderCatboxFiles } from "../scripts/render";

const binary = catboxBinary();
const noDaemon = "skip" in binary ? `no real catbox: ${binary.skip}; ${howToEnable}` : undefined;
if (noDaemon) console.log(`# real-daemon tests skipped: ${noDaemon}`);
const daemon = "path" in binary ? binary.path : "";

const busybox = spawnSync("busybox", ["true"]).status === 0;
const noPods = !podLauncher() ? "no PID namespaces here (unshare)" : !busybox ? "no busybox (apt-get install busybox), the reloader image's shell" : undefined;
if (noPods && process.env.CI === "true") throw new Error(`the reload tests need ${noPods}; under CI=true they never skip`);

const stack = "dev";
const stackConfig = readStackFile(stack).config;
const shape = {
    networkName: stackConfig["catbox-gke:networkName"],
    namespace: stackConfig["catbox-gke:namespace"],
    clusterDomain: stackConfig["catbox-gke:clusterDomain"],
    linkPort: Number(stackConfig["catbox-gke:linkPort"]),
};
const pattern = stackConfig["catbox-gke:serverNamePattern"];
const nameOf = (n: number) => pattern.replace("{n}", String(n));
const namesOf = (replicas: number) => Array.from({ length: replicas }, (_, n) => nameOf(n));

/** The operator's own pair for every name the tests use (tlsMode provided). */
const pair = selfSignedPair(namesOf(5));
// "__proto__" too: a name that building an object by assignment would drop.
const opersJson = '{"alice":"Alice-oper-pass1","bob":"Bob-oper-pass2","__proto__":"Proto-oper-pass3"}';
const opers: [string, string][] = Object.entries(JSON.parse(opersJson));
const spoof = "staff.example.org";
const values = (replicas: number, tls: TlsPair = pair, extra: Record<string, string> = {}) => ({
    replicas: String(replicas),
    tlsMode: "provided",
    tlsCertificate: tls.certificatePem,
    tlsKey: tls.keyPem,
    opers: opersJson,
    users: JSON.stringify([{ usermask: "*spoofme", hostmask: "*", spoof }]),
    ...extra,
});
const files = (replicas: number, tls?: TlsPair, extra?: Record<string, string>) =>
    renderCatboxFiles(stack, values(replicas, tls, extra), ["tlsKey", "opers"]);

/** A TLS client of daemon n as a user's client: Node's defaults, the server name checked against `ca`. */
const tlsTo = (n: number, ca = pair.certificatePem) => ({ servername: nameOf(n), ca });
const linkTimeoutMs = 15_000;
const step = { timeout: 30_000 };

function servedCertificate(c: IrcClient): X509Certificate {
    return new X509Certificate((c.socket as TLSSocket).getPeerCertificate().raw);
}

/** A network of `replicas` pods, started together, fully linked before the tests run. */
function network(block: number, replicas: number, reloader = false, reloaderEnv: Record<string, string> = {}) {
    const ctx = {} as { net: LocalNetwork };
    before(async () => {
        ctx.net = new LocalNetwork({
            binary: daemon, shape, files: await files(replicas), block,
            ...(reloader ? { reloaderShell: ["busybox", "sh"], reloaderEnv } : {}),
        });
        await Promise.all(namesOf(replicas).map((_, n) => ctx.net.start(n)));
        const probe = await ctx.net.client(0, "probe");
        await ctx.net.waitForLinks(probe, replicas, linkTimeoutMs);
        probe.close();
    }, { timeout: 60_000 });
    after(() => ctx.net?.stop());
    return ctx;
}

for (const [block, replicas] of [[1, 1], [2, 2], [3, 3], [5, 5]]) {
    describe(`the real catbox: ${replicas} daemon(s) form one network`, { skip: noDaemon }, () => {
        const ctx = network(block, replicas);

        it("LINKS on daemon 0 lists every server", step, async () => {
            const c = await ctx.net.client(0, "linker", tlsTo(0));
            assert.deepEqual(await c.links(), namesOf(replicas).sort());
        });

        it(`a private and a channel message from daemon 0 reach daemon ${replicas - 1}`, step, async () => {
            const last = replicas - 1;
            const to = await ctx.net.client(last, "receiver", tlsTo(last));
            const from = await ctx.net.client(0, "sender", tlsTo(0));
            await to.ask("JOIN #catbox", /JOIN :?#catbox/);
            // The sender's JOIN reaching the receiver proves the channel is one across the link.
            const joined = to.lines.length;
            await from.ask("JOIN #catbox", /JOIN :?#catbox/);
            await to.waitFor(/^:sender!\S+ JOIN :?#catbox/, 5000, "the sender's JOIN", joined);
            from.send("PRIVMSG receiver :hello across the network");
            from.send("PRIVMSG #catbox :hello channel");
            await to.waitFor(/^:sender!\S+ PRIVMSG receiver :hello across the network$/, 5000, "the private message");
            await to.waitFor(/^:sender!\S+ PRIVMSG #catbox :hello channel$/, 5000, "the channel message");
        });

        it("catbox logged no config error", () => {
            assert.deepEqual(ctx.net.configErrors(), []);
        });
    });
}

describe("the real catbox: what a user's client meets", { skip: noDaemon }, () => {
    const replicas = 3;
    const ctx = network(4, replicas);

    it("a TLS 1.3 client with Node's defaults gets 001 and the MOTD, and the certificate verifies for every server name", step, async () => {
        const motd = stackConfig["catbox-gke:motd"];
        for (let n = 0; n < replicas; n++) {
            // connect() rejects unless the certificate verifies for servername: Node's default.
            const c = await ctx.net.client(n, `tls${n}`, tlsTo(n));
            assert.equal((c.socket as TLSSocket).getProtocol(), "TLSv1.3");
            assert.ok((c.socket as TLSSocket).authorized);
            assert.ok(servedCertificate(c).checkHost(nameOf(n)), `certificate does not name ${nameOf(n)}`);
            await c.waitFor(/ 376 /, 5000, "end of MOTD");
            assert.ok(c.lines.some((l) => / 372 /.test(l) && l.endsWith(motd)), c.lines.join("\n"));
        }
    });

    for (const [name, password] of opers) {
        it(`OPER ${name} with its configured password gets 381`, step, async () => {
            const c = await ctx.net.client(1, `op${name}`, tlsTo(1));
            await c.ask(`OPER ${name} ${password}`, / 381 /);
        });
    }

    it("a wrong oper password gets 464, not 381", step, async () => {
        const c = await ctx.net.client(0, "notoper", tlsTo(0));
        await c.ask("OPER alice wrong-password", / 464 /);
    });

    it("a users.conf spoof is applied to the matching user only", step, async () => {
        const spoofed = await ctx.net.client(2, "spoofme", tlsTo(2));
        assert.ok(spoofed.lines.some((l) => l.includes(`Spoofing your hostname as ${spoof}`)), spoofed.lines.join("\n"));
        const other = await ctx.net.client(0, "plainuser", tlsTo(0));
        // Seen from another daemon: the spoof travels with the user.
        assert.equal((await other.ask("WHOIS spoofme", / 311 /)).split(" ")[5], spoof);
        assert.notEqual((await other.ask("WHOIS plainuser", / 311 /)).split(" ")[5], spoof);
    });

    it("catbox logged no config error", () => {
        assert.deepEqual(ctx.net.configErrors(), []);
    });
});

describe("the real catbox: hot reload by configs/reloader.sh under busybox sh", { skip: noDaemon ?? noPods }, () => {
    const ctx = network(6, 2, true);
    const newPair = selfSignedPair(namesOf(5));
    const newMotd = "Reloaded without a restart";

    it("a kubelet-style swap with a new MOTD and TLS pair is served to a new client within 5 s; old clients, links and PIDs stay", { timeout: 60_000 }, async () => {
        const net = ctx.net;
        const before = await net.client(0, "stayer", tlsTo(0));
        const pids = [net.catboxPid(0), net.catboxPid(1)];
        const swapped = Date.now();
        net.swap(await files(2, newPair, { motd: newMotd }));
        let served = false;
        for (let i = 0; Date.now() - swapped < 5000; i++) {
            // Whichever certificate it serves, look: the new one must verify once served.
            const c = await net.client(0, `new${i}`, { servername: nameOf(0), rejectUnauthorized: false });
            await c.waitFor(/ 376 /, 5000, "end of MOTD");
            const fresh = servedCertificate(c).fingerprint256 === new X509Certificate(newPair.certificatePem).fingerprint256;
            const motd = c.lines.some((l) => / 372 /.test(l) && l.endsWith(newMotd));
            c.close();
            if (fresh && motd) {
                served = true;
                break;
            }
            await sleep(200);
        }
        assert.ok(served, `new MOTD and certificate not served within 5 s:\n${net.reloaderLog(0)}\n${net.log(0)}`);
        // The new certificate verifies as the old one did.
        await net.client(0, "verified", tlsTo(0, newPair.certificatePem));
        assert.ok(await before.alive(), "a client connected before the swap was dropped");
        assert.equal(before.closed, false);
        assert.deepEqual(await before.links(), namesOf(2).sort());
        assert.deepEqual([net.catboxPid(0), net.catboxPid(1)], pids, "catbox restarted instead of reloading");
        for (const n of [0, 1]) assert.equal(await net.sighups(n, 1), 1, net.reloaderLog(n));
    });

    it("scaling 2 -> 3 by a swap: the new daemon links to both", { timeout: 60_000 }, async () => {
        const net = ctx.net;
        const watcher = await net.client(1, "watcher", tlsTo(1, newPair.certificatePem));
        // The Secret grows first; the new pod starts with it, the old ones reload it.
        net.swap(await files(3, newPair, { motd: newMotd }));
        await net.start(2);
        await net.waitForLinks(watcher, 3, linkTimeoutMs);
        assert.deepEqual(await watcher.links(), namesOf(3).sort());
        assert.ok(await watcher.alive());
    });

    it("catbox logged no config error", () => {
        assert.deepEqual(ctx.net.configErrors(), []);
    });
});

describe("the real catbox: the reloader's watchdog", { skip: noDaemon ?? noPods }, () => {
    // Faster than the pod's defaults (every 15 s, 5 s to answer, 3 failures), same logic.
    const ctx = network(7, 2, true, { HEALTH_SECONDS: "1", HEALTH_TIMEOUT: "3", HEALTH_FAILURES: "3" });

    it("a frozen daemon (SIGSTOP) is no longer ready, is killed, restarts and links again", { timeout: 60_000 }, async () => {
        const net = ctx.net;
        for (let i = 0; i < 50 && !net.ready(1); i++) await sleep(100);
        assert.ok(net.ready(1), "ready while catbox answers");
        const frozen = net.catboxPid(1);
        process.kill(frozen, "SIGSTOP");
        const start = Date.now();
        let sawUnready = false;
        let pid = frozen;
        while (Date.now() - start < 20_000) {
            sawUnready ||= !net.ready(1);
            try {
                pid = net.catboxPid(1);
            } catch {
                // between the kill and the restart
            }
            if (pid !== frozen) break;
            await sleep(100);
        }
        assert.notEqual(pid, frozen, `the frozen catbox was not replaced within 20 s:\n${net.reloaderLog(1)}`);
        assert.ok(sawUnready, "the frozen daemon stayed ready");
        assert.match(net.reloaderLog(1), /catbox \(pid \d+\) is hung: killing it/);
        const watcher = await net.client(0, "watcher", tlsTo(0));
        await net.waitForLinks(watcher, 2, linkTimeoutMs);
        for (let i = 0; i < 50 && !net.ready(1); i++) await sleep(100);
        assert.ok(net.ready(1), "ready again once the new catbox answers");
    });

    it("a busy daemon is left alone: 200 clients in one channel, 10 talking", { timeout: 60_000 }, async () => {
        const net = ctx.net;
        const pids = [net.catboxPid(0), net.catboxPid(1)];
        const logBefore = [net.reloaderLog(0).length, net.reloaderLog(1).length];
        const crowd: IrcClient[] = [];
        for (let batch = 0; batch < 4; batch++) {
            crowd.push(...await Promise.all(Array.from({ length: 50 }, async (_, k) => {
                const i = batch * 50 + k;
                const c = await net.client(i % 2, `busy${i}`, tlsTo(i % 2));
                c.keepLines = false;
                c.send("JOIN #busy");
                return c;
            })));
        }
        for (let s = 0; s < 8; s++) {
            for (const t of crowd.slice(0, 10)) for (let k = 0; k < 5; k++) t.send(`PRIVMSG #busy :line ${s}.${k} from ${t.nick}`);
            await sleep(1000);
        }
        assert.deepEqual([net.catboxPid(0), net.catboxPid(1)], pids);
        for (const n of [0, 1]) {
            const during = net.reloaderLog(n).slice(logBefore[n]);
            assert.ok(!/health check failed/.test(during), during);
            assert.ok(net.ready(n));
        }
        assert.equal(crowd.filter((c) => c.closed).length, 0, "clients were dropped");
    });

    it("catbox logged no config error", () => {
        assert.deepEqual(ctx.net.configErrors(), []);
    });
});

describe("the real catbox: tlsMode letsEncrypt, the issued certificate in a mount of its own", { skip: noDaemon ?? noPods }, () => {
    // The prod stack's files (letsEncrypt), with the stand-in pair the stack creates in the
    // certificate's Secret; then cert-manager's issue (or renewal) swaps that Secret alone.
    const prodConfig = readStackFile("prod").config;
    const prodNames = [0, 1].map((n) => prodConfig["catbox-gke:serverNamePattern"].replace("{n}", String(n)));
    const standIn = selfSignedPair(prodNames);
    const issued = selfSignedPair([prodConfig["catbox-gke:hostname"], ...prodNames]);
    const ctx = {} as { net: LocalNetwork };
    before(async () => {
        const prodFiles = await renderCatboxFiles("prod", { replicas: "2", opers: opersJson }, ["opers"]);
        assert.ok(!("key.pem" in prodFiles), "letsEncrypt keeps the pair out of the config Secret");
        ctx.net = new LocalNetwork({
            binary: daemon, files: prodFiles, block: 8, reloaderShell: ["busybox", "sh"], issuedTls: standIn,
            shape: { networkName: prodConfig["catbox-gke:networkName"], namespace: prodConfig["catbox-gke:namespace"], clusterDomain: prodConfig["catbox-gke:clusterDomain"], linkPort: Number(prodConfig["catbox-gke:linkPort"]) },
        });
        await Promise.all([ctx.net.start(0), ctx.net.start(1)]);
        const probe = await ctx.net.client(0, "probe");
        await ctx.net.waitForLinks(probe, 2, linkTimeoutMs);
        probe.close();
    }, { timeout: 60_000 });
    after(() => ctx.net?.stop());

    it("starts on the stand-in pair, and serves the issued one within 5 s of its Secret's swap, clients and links kept", { timeout: 60_000 }, async () => {
        const net = ctx.net;
        const tlsTo0 = (ca: string) => ({ servername: prodNames[0], ca });
        const before = await net.client(0, "early", tlsTo0(standIn.certificatePem));
        const pids = [net.catboxPid(0), net.catboxPid(1)];
        for (let i = 0; i < 50 && !net.reloaderLog(0).includes("watching"); i++) await sleep(50);
        assert.match(net.reloaderLog(0), /etc-catbox-tls/, "the reloader does not watch the certificate's mount");
        const swapped = Date.now();
        net.swapIssuedTls(issued);
        let served = false;
        for (let i = 0; !served && Date.now() - swapped < 5000; i++) {
            const c = await net.client(0, `late${i}`, { servername: prodNames[0], rejectUnauthorized: false });
            served = servedCertificate(c).fingerprint256 === new X509Certificate(issued.certificatePem).fingerprint256;
            c.close();
            if (!served) await sleep(200);
        }
        assert.ok(served, `the issued certificate was not served within 5 s:\n${net.reloaderLog(0)}`);
        // It verifies for the network's own name, as a client with Node's defaults checks it.
        const trusting = await IrcClient.connect({ host: net.address(0), port: 6697, nick: "named", tls: { servername: prodConfig["catbox-gke:hostname"], ca: issued.certificatePem } });
        trusting.close();
        assert.ok(await before.alive(), "a client connected before the swap was dropped");
        assert.deepEqual(await before.links(), [...prodNames].sort());
        assert.deepEqual([net.catboxPid(0), net.catboxPid(1)], pids);
        for (const n of [0, 1]) assert.equal(await net.sighups(n, 1), 1, net.reloaderLog(n));
    });

    it("catbox logged no config error", () => {
        assert.deepEqual(ctx.net.configErrors(), []);
    });
});
