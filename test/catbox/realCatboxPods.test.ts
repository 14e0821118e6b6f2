// The real catbox in pods that reload and watch it: hot reload and scaling by a
// kubelet-style swap, the watchdog, and tlsMode letsEncrypt's second mount. The
// set-up is test/support/realCatbox.ts's; see test/catbox/realCatbox.test.ts for how.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as pace } from "node:timers/promises";
import { containerTlsPort, serverName } from "../../components/catbox/names";
import { IrcClient } from "../../harness/realCatbox/ircClient";
import { LocalNetwork, shapeOf } from "../../harness/realCatbox/localNetwork";
import { selfSignedPair } from "../../harness/realCatbox/tlsPair";
import { readStackFile, renderCatboxFiles } from "../../harness/offline/stack";
import { waitUntil } from "../../harness/waitUntil";
import { daemon, files, inPods, linkTimeoutMs, nameOf, namesOf, network, opersJson, servedCertificate, skipPods, tlsTo } from "../support/realCatbox";

describe("the real catbox: hot reload by configs/reloader.sh under busybox sh", () => {
    const ctx = network(6, 2, true);
    const newPair = selfSignedPair(namesOf(5));
    const newMotd = "Reloaded without a restart";

    it(
        "a kubelet-style swap with a new MOTD and TLS pair is served to a new client within 5 s; old clients, links and PIDs stay",
        inPods(),
        async () => {
            const net = ctx.net;
            const before = await net.client(0, "stayer", tlsTo(0));
            const pids = [net.catboxPid(0), net.catboxPid(1)];
            net.swap(await files(2, newPair, { motd: newMotd }));
            let look = 0;
            await waitUntil(
                "the new MOTD and certificate on a new client",
                async () => {
                    // Whichever certificate it serves, look: the new one must verify once served.
                    const c = await net.client(0, `new${look++}`, { servername: nameOf(0), rejectUnauthorized: false });
                    await c.waitFor(/ 376 /, 5000, "end of MOTD");
                    const fresh = servedCertificate(c).fingerprint256 === new X509Certificate(newPair.certificatePem).fingerprint256;
                    const motd = c.lines.some((l) => / 372 /.test(l) && l.endsWith(newMotd));
                    c.close();
                    return fresh && motd;
                },
                { timeoutMs: 5000, everyMs: 200, detail: () => `${net.reloaderLog(0)}\n${net.log(0)}` },
            );
            // The new certificate verifies as the old one did.
            await net.client(0, "verified", tlsTo(0, newPair.certificatePem));
            assert.ok(await before.alive(), "a client connected before the swap was dropped");
            assert.equal(before.closed, false);
            assert.deepEqual(await before.links(), namesOf(2).sort());
            assert.deepEqual([net.catboxPid(0), net.catboxPid(1)], pids, "catbox restarted instead of reloading");
            for (const n of [0, 1]) assert.equal(await net.sighups(n, 1), 1, net.reloaderLog(n));
        },
    );

    it("scaling 2 -> 3 by a swap: the new daemon links to both", inPods(), async () => {
        const net = ctx.net;
        const watcher = await net.client(1, "watcher", tlsTo(1, newPair.certificatePem));
        // The Secret grows first; the new pod starts with it, the old ones reload it.
        net.swap(await files(3, newPair, { motd: newMotd }));
        await net.start(2);
        await net.waitForLinks(watcher, 3, linkTimeoutMs);
        assert.deepEqual(await watcher.links(), namesOf(3).sort());
        assert.ok(await watcher.alive());
    });

    it("catbox logged no config error", inPods(), () => {
        assert.deepEqual(ctx.net.configErrors(), []);
    });
});

describe("the real catbox: the reloader's watchdog", () => {
    // Faster than the pod's defaults (every 15 s, 5 s to answer, 3 failures), same logic.
    const ctx = network(7, 2, true, { HEALTH_SECONDS: "1", HEALTH_TIMEOUT: "3", HEALTH_FAILURES: "3" });

    it("a frozen daemon (SIGSTOP) is no longer ready, is killed, restarts and links again", inPods(), async () => {
        const net = ctx.net;
        await waitUntil("pod 1 ready while catbox answers", () => net.ready(1), { timeoutMs: 10_000, detail: () => net.reloaderLog(1) });
        const frozen = net.catboxPid(1);
        process.kill(frozen, "SIGSTOP");
        let sawUnready = false;
        await waitUntil(
            "the frozen catbox to be replaced",
            () => {
                sawUnready ||= !net.ready(1);
                try {
                    return net.catboxPid(1) !== frozen;
                } catch {
                    return false; // between the kill and the restart
                }
            },
            { timeoutMs: 20_000, detail: () => net.reloaderLog(1) },
        );
        assert.ok(sawUnready, "the frozen daemon stayed ready");
        assert.match(net.reloaderLog(1), /catbox \(pid \d+\) is hung: killing it/);
        const watcher = await net.client(0, "watcher", tlsTo(0));
        await net.waitForLinks(watcher, 2, linkTimeoutMs);
        await waitUntil("pod 1 ready again once the new catbox answers", () => net.ready(1), { timeoutMs: 10_000, detail: () => net.reloaderLog(1) });
    });

    it("a busy daemon is left alone: 200 clients in one channel, 10 talking", inPods(), async () => {
        const net = ctx.net;
        const pids = [net.catboxPid(0), net.catboxPid(1)];
        const logBefore = [net.reloaderLog(0).length, net.reloaderLog(1).length];
        const crowd: IrcClient[] = [];
        for (let batch = 0; batch < 4; batch++) {
            crowd.push(
                ...(await Promise.all(
                    Array.from({ length: 50 }, async (_, k) => {
                        const i = batch * 50 + k;
                        const c = await net.client(i % 2, `busy${i}`, tlsTo(i % 2));
                        c.keepLines = false;
                        c.send("JOIN #busy");
                        return c;
                    }),
                )),
            );
        }
        for (let s = 0; s < 8; s++) {
            for (const t of crowd.slice(0, 10)) for (let k = 0; k < 5; k++) t.send(`PRIVMSG #busy :line ${s}.${k} from ${t.nick}`);
            // Traffic at a steady rate: a second of talk, with every daemon's watchdog checking meanwhile.
            await pace(1000);
        }
        assert.deepEqual([net.catboxPid(0), net.catboxPid(1)], pids);
        for (const n of [0, 1]) {
            const during = net.reloaderLog(n).slice(logBefore[n]);
            assert.ok(!/health check failed/.test(during), during);
            assert.ok(net.ready(n));
        }
        assert.equal(crowd.filter((c) => c.closed).length, 0, "clients were dropped");
    });

    it("catbox logged no config error", inPods(), () => {
        assert.deepEqual(ctx.net.configErrors(), []);
    });
});

describe("the real catbox: tlsMode letsEncrypt, the issued certificate in a mount of its own", () => {
    // The prod stack's files (letsEncrypt), with the stand-in pair the stack creates in the
    // certificate's Secret; then cert-manager's issue (or renewal) swaps that Secret alone.
    const prodConfig = readStackFile("prod").config;
    const prodNames = [0, 1].map((n) => serverName(prodConfig["catbox-gke:serverNamePattern"], n));
    const standIn = selfSignedPair(prodNames);
    const issued = selfSignedPair([prodConfig["catbox-gke:hostname"], ...prodNames]);
    const ctx = {} as { net: LocalNetwork };
    before(
        async () => {
            if (skipPods) return;
            const prodFiles = await renderCatboxFiles("prod", { replicas: "2", opers: opersJson }, ["opers"]);
            assert.ok(!("key.pem" in prodFiles), "letsEncrypt keeps the pair out of the config Secret");
            ctx.net = new LocalNetwork({
                binary: daemon,
                files: prodFiles,
                block: 8,
                reloaderShell: ["busybox", "sh"],
                issuedTls: standIn,
                shape: shapeOf(prodConfig),
            });
            await Promise.all([ctx.net.start(0), ctx.net.start(1)]);
            const probe = await ctx.net.client(0, "probe");
            await ctx.net.waitForLinks(probe, 2, linkTimeoutMs);
            probe.close();
        },
        { timeout: 60_000 },
    );
    after(() => ctx.net?.stop());

    it("starts on the stand-in pair, and serves the issued one within 5 s of its Secret's swap, clients and links kept", inPods(), async () => {
        const net = ctx.net;
        const tlsTo0 = (ca: string) => ({ servername: prodNames[0], ca });
        const before = await net.client(0, "early", tlsTo0(standIn.certificatePem));
        const pids = [net.catboxPid(0), net.catboxPid(1)];
        await waitUntil("the reloader to start watching", () => net.reloaderLog(0).includes("watching"), {
            timeoutMs: 10_000,
            detail: () => net.reloaderLog(0),
        });
        assert.match(net.reloaderLog(0), /etc-catbox-tls/, "the reloader does not watch the certificate's mount");
        net.swapIssuedTls(issued);
        let look = 0;
        await waitUntil(
            "the issued certificate on a new client",
            async () => {
                const c = await net.client(0, `late${look++}`, { servername: prodNames[0], rejectUnauthorized: false });
                const served = servedCertificate(c).fingerprint256 === new X509Certificate(issued.certificatePem).fingerprint256;
                c.close();
                return served;
            },
            { timeoutMs: 5000, everyMs: 200, detail: () => net.reloaderLog(0) },
        );
        // It verifies for the network's own name, as a client with Node's defaults checks it.
        const trusting = await IrcClient.connect({
            host: net.address(0),
            port: containerTlsPort,
            nick: "named",
            tls: { servername: prodConfig["catbox-gke:hostname"], ca: issued.certificatePem },
        });
        trusting.close();
        assert.ok(await before.alive(), "a client connected before the swap was dropped");
        assert.deepEqual(await before.links(), [...prodNames].sort());
        assert.deepEqual([net.catboxPid(0), net.catboxPid(1)], pids);
        for (const n of [0, 1]) assert.equal(await net.sighups(n, 1), 1, net.reloaderLog(n));
    });

    it("catbox logged no config error", inPods(), () => {
        assert.deepEqual(ctx.net.configErrors(), []);
    });
});
