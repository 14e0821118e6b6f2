// The real catbox, built from the version the image builds, on the files the
// program renders (the same path as `npm run render -- dev`), on loopback: one
// address per pod, each pod in its own PID namespace with its reloader, all
// reading one Secret volume laid out as kubelet lays it out. A client here is a
// client as a user's would be: TLS with Node's defaults (TLS 1.3), certificate
// checked. Skipped only where no catbox can be had, and never under .ci/run (CATBOX_GKE_NEVER_SKIP=1).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as tls from "node:tls";
import type { TLSSocket } from "node:tls";
import { parseConfig } from "../../components/config/parse";
import { waitUntil } from "../../harness/waitUntil";
import type { TlsPair } from "../../harness/realCatbox/tlsPair";
import { raw } from "../support/helpers";
import { X509Certificate } from "node:crypto";
import { configErrorRe } from "../../harness/realCatbox/localNetwork";
import { selfSignedPair, servedKinds } from "../../harness/realCatbox/tlsPair";
import { daemon, nameOf, namesOf, network, opers, pair, servedCertificate, skipDaemon, spoof, stackConfig, step, tlsTo } from "../support/realCatbox";

for (const [block, replicas] of [
    [1, 1],
    [2, 2],
    [3, 3],
    [5, 5],
]) {
    describe(`the real catbox: ${replicas} daemon(s) form one network`, () => {
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

        it("catbox logged no config error", step, () => {
            assert.deepEqual(ctx.net.configErrors(), []);
        });
    });
}

describe("the real catbox: what a user's client meets", () => {
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
            assert.ok(
                c.lines.some((l) => / 372 /.test(l) && l.endsWith(motd)),
                c.lines.join("\n"),
            );
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
        assert.ok(
            spoofed.lines.some((l) => l.includes(`Spoofing your hostname as ${spoof}`)),
            spoofed.lines.join("\n"),
        );
        const other = await ctx.net.client(0, "plainuser", tlsTo(0));
        // Seen from another daemon: the spoof travels with the user.
        assert.equal((await other.ask("WHOIS spoofme", / 311 /)).split(" ")[5], spoof);
        assert.notEqual((await other.ask("WHOIS plainuser", / 311 /)).split(" ")[5], spoof);
    });

    it("catbox logged no config error", step, () => {
        assert.deepEqual(ctx.net.configErrors(), []);
    });
});

describe("the real catbox: the longest MOTD the config check takes arrives whole", () => {
    // :<server> 372 <nick> :- <motd>\r\n in 512 bytes: the room beside this stack's longest name and longest nick.
    const nickLength = 9;
    const room = 512 - ":".length - Buffer.byteLength(nameOf(1)) - " 372 ".length - nickLength - " :- ".length - "\r\n".length;
    // Three-byte characters, as many as fit: one more would be cut mid-character.
    const motd = "€".repeat(Math.floor(room / 3));
    const ctx = network(9, 2, false, {}, { motd, maxNickLength: String(nickLength) });

    it("a client with the longest nick gets every byte of it, valid UTF-8", step, async () => {
        const c = await ctx.net.client(1, "n".repeat(nickLength), tlsTo(1));
        const line = await c.waitFor(/ 372 /, 5000, "the MOTD");
        assert.equal(line.split(" :- ")[1], motd);
        assert.ok(!line.includes("\ufffd"), "a character was cut");
        assert.ok(Buffer.byteLength(line) + 2 >= 510, `the test's MOTD does not reach the line's end: ${Buffer.byteLength(line) + 2} bytes`);
    });
});

// Every kind of key the config check takes, served by the real daemon to a client with Node's defaults.
servedKinds.forEach((kind, i) => {
    describe(`the real catbox: a ${kind} pair (tlsMode provided)`, () => {
        const kindPair = skipDaemon ? pair : selfSignedPair(namesOf(1), 2, kind);
        const ctx = network(10 + i, 1, false, {}, {}, kindPair);

        it("a TLS client with Node's defaults checks the certificate and registers", step, async () => {
            const c = await ctx.net.client(0, "kind", tlsTo(0, kindPair.certificatePem));
            assert.ok((c.socket as TLSSocket).authorized);
            assert.equal(servedCertificate(c).fingerprint256, new X509Certificate(kindPair.certificatePem).fingerprint256);
            await c.waitFor(/ 376 /, 5000, "end of MOTD");
        });
    });
});

describe("the real catbox: a certificate whose key usage leaves out signing (why the config check refuses it)", () => {
    /** catbox alone on `pair`, its TLS port on loopback; what a TLS client of each version makes of it. */
    const handshakes = async (served: TlsPair) => {
        const dir = mkdtempSync(path.join(tmpdir(), "catbox-ku-"));
        const port = await new Promise<number>((resolve) => {
            const probe = net.createServer().listen(0, "127.0.0.1", () => {
                const p = (probe.address() as net.AddressInfo).port;
                probe.close(() => resolve(p));
            });
        });
        writeFileSync(path.join(dir, "tls.crt"), served.certificatePem);
        writeFileSync(path.join(dir, "tls.key"), served.keyPem);
        writeFileSync(
            path.join(dir, "catbox.conf"),
            [
                "listen-host = 127.0.0.1",
                "listen-port = -1",
                `listen-port-tls = ${port}`,
                `certificate-file = ${dir}/tls.crt`,
                `key-file = ${dir}/tls.key`,
                "server-name = irc.example.org",
                "ts6-sid = 000",
            ].join("\n") + "\n",
        );
        const catbox = spawn(daemon, ["-conf", path.join(dir, "catbox.conf")], { stdio: "ignore" });
        const attempt = (maxVersion: tls.SecureVersion) =>
            new Promise<string>((resolve) => {
                const c = tls.connect({ host: "127.0.0.1", port, servername: "irc.example.org", ca: served.certificatePem, maxVersion }, () => {
                    resolve(`ok ${c.getProtocol()}`);
                    c.destroy();
                });
                c.on("error", (e: Error & { code?: string }) => resolve(e.code ?? e.message));
            });
        try {
            await waitUntil("catbox's TLS port", async () => !(await attempt("TLSv1.3")).startsWith("ECONNREFUSED"), { timeoutMs: 10_000 });
            return { tls12: await attempt("TLSv1.2"), tls13: await attempt("TLSv1.3") };
        } finally {
            catbox.kill();
            rmSync(dir, { recursive: true, force: true });
        }
    };

    it("ECDSA without digitalSignature: TLS 1.2 clients refuse it (1.3 does not look); refused by the config check", step, async () => {
        const bad = selfSignedPair(["irc.example.org"], 2, "ECDSA P-256", ["keyUsage=critical,keyEncipherment"]);
        assert.deepEqual(await handshakes(bad), { tls12: "ERR_SSL_ECC_CERT_NOT_FOR_SIGNING", tls13: "ok TLSv1.3" });
        assert.throws(
            () => parseConfig(raw({ tlsMode: "provided", tlsCertificate: bad.certificatePem, tlsKey: bad.keyPem }, ["tlsKey"])),
            /catbox-gke:tlsCertificate = \[not shown\]: has a key usage without digitalSignature/,
        );
        // With digitalSignature, both versions, and the check takes it.
        const good = selfSignedPair(["irc.example.org"], 2, "ECDSA P-256", ["keyUsage=critical,digitalSignature"]);
        assert.deepEqual(await handshakes(good), { tls12: "ok TLSv1.2", tls13: "ok TLSv1.3" });
        assert.doesNotThrow(() => parseConfig(raw({ tlsMode: "provided", tlsCertificate: good.certificatePem, tlsKey: good.keyPem }, ["tlsKey"])));
    });

    it("an extended key usage without serverAuth: every client refuses it", step, async () => {
        const clientOnly = selfSignedPair(["irc.example.org"], 2, "ECDSA P-256", ["extendedKeyUsage=clientAuth"]);
        assert.deepEqual(await handshakes(clientOnly), { tls12: "INVALID_PURPOSE", tls13: "INVALID_PURPOSE" });
    });
});

describe("what counts as a config error in catbox's log", () => {
    it("a refused file does; catbox cutting a message it sends (its NAMES overrun) does not", () => {
        for (const line of [
            // catbox's own words (main.go, config.go).
            "2026/12/02 06:09:50 configuration problem: ping time is in invalid format: time: invalid duration",
            "2026/12/02 06:09:50 Global oper notice: Rehash: Configuration problem: unable to load opers config: x",
            "2026/12/02 06:09:50 error loading certificate/key: tls: failed to find any PEM data",
        ]) {
            assert.match(line, configErrorRe);
        }
        assert.doesNotMatch(
            "2026/12/02 06:09:50 Global oper notice: Trying to send invalid message to client 87 127.0.0.1:45758: message truncated",
            configErrorRe,
        );
    });
});
