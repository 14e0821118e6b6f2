// IRC services on the real daemons: Debian's atheme-services with the
// atheme.conf the stack renders, linked in to two real catbox daemons built as
// the image builds them (with configs/patches/), every file as the stack
// renders it. What users and opers do with NickServ, ChanServ and OperServ, a
// daemon's restart, and services' own restart; and the daemon built without the
// patch, which refuses atheme's link.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { containerLinkPort, containerTlsPort, linkHost } from "../../components/catbox/names";
import { startProber } from "../../prober/main";
import { parseExposition, sample } from "../support/exposition";
import { catboxBinary, projectPatches } from "../../harness/realCatbox/binary";
import { IrcClient } from "../../harness/realCatbox/ircClient";
import { LocalNetwork } from "../../harness/realCatbox/localNetwork";
import { renderStack } from "../../harness/offline/stack";
import { skipUnlessRequired } from "../../harness/neverSkip";
import { Atheme, athemeConfForLoopback, athemeMissing } from "../../harness/services/atheme";
import { FakeStorage } from "../../harness/services/fakeStorage";
import { waitUntil } from "../../harness/waitUntil";
import { nameOf, noDaemon, opers, opersJson, pair, shape, stackConfig, tlsTo } from "../support/realCatbox";

const skip = skipUnlessRequired("the IRC services tests", noDaemon ?? athemeMissing());
const replicas = 2;
const backupScript = path.join(__dirname, "..", "..", "services", "backup.sh");

/** services/backup.sh with `command`, as the pod runs it (not spawnSync: the fake bucket answers from this process). */
function backup(command: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; stderr: string }> {
    return new Promise((resolve) => {
        const p = spawn("sh", [backupScript, command], { env, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        p.stderr.on("data", (d) => (stderr += d));
        p.once("exit", (status) => resolve({ status, stderr }));
    });
}
const password = "Secret-pass1";

/** The stack's files and atheme.conf, with services on: rendered once, for every network here. */
let renderedOnce: Promise<{ files: Record<string, string>; athemeConf: string }> | undefined;
const rendered = () => (renderedOnce ??= render());
async function render() {
    const values = {
        replicas: String(replicas),
        tlsMode: "provided",
        tlsCertificate: pair.certificatePem,
        tlsKey: pair.keyPem,
        opers: opersJson,
        services: "true",
        servicesImage: "catbox-services:dev",
        linkSecret: "a-long-enough-link-secret",
    };
    const run = await renderStack("dev", values, ["tlsKey", "opers", "linkSecret"]);
    if (!run.athemeConf) throw new Error("the stack rendered no atheme.conf");
    return run as { files: Record<string, string>; athemeConf: string };
}

const linkHosts = Array.from({ length: replicas }, (_, n) =>
    linkHost(stackConfig["catbox-gke:networkName"] ?? "catbox", stackConfig["catbox-gke:namespace"] ?? "irc", "cluster.local", n),
);

/** A NOTICE from `service` to `c` matching `text`, after what `c` has seen so far. */
async function ask(c: IrcClient, service: string, command: string, text: RegExp, timeoutMs = 10_000): Promise<string> {
    return c.ask(`PRIVMSG ${service} :${command}`, new RegExp(`^:${service}!\\S+ NOTICE ${c.nick} :.*${text.source}`, "i"), timeoutMs);
}

describe("IRC services (atheme) linked to two real daemons", () => {
    let net: LocalNetwork;
    let atheme: Atheme;
    let conf: string;
    let watcher: IrcClient;

    /** A client named `nick` on daemon n, once the network has let go of a previous one of that name. */
    const as = async (n: number, nick: string) => {
        // A WHOIS of a user just gone can go unanswered (its server has let go of it): ask again.
        const free = async () => / 401 /.test(await watcher.ask(`WHOIS ${nick}`, / 311 | 401 /, 2000).catch(() => ""));
        await waitUntil(`${nick} to be free`, free, { timeoutMs: 15_000 });
        return net.client(n, nick, tlsTo(n));
    };

    before(
        async () => {
            if (skip) return;
            const run = await rendered();
            const binary = catboxBinary();
            if (!("path" in binary)) throw new Error(binary.skip);
            net = new LocalNetwork({ binary: binary.path, shape, files: run.files, block: 44 });
            await Promise.all(Array.from({ length: replicas }, (_, n) => net.start(n)));
            const probe = await net.client(0, "probe");
            await net.waitForLinks(probe, replicas, 15_000);
            conf = athemeConfForLoopback(run.athemeConf, linkHosts, (n) => ({ host: net.address(n), port: containerLinkPort }));
            atheme = new Atheme(conf);
            atheme.start();
            // Services are on the network once the daemon they did not link to knows NickServ.
            const far = await net.client(1, "far");
            await waitUntil("NickServ on daemon 1", async () => / 311 /.test(await far.ask("WHOIS NickServ", / 311 | 401 /)), {
                timeoutMs: 20_000,
                detail: () => atheme.log(),
            });
            far.close();
            // On daemon 0, which no test restarts.
            watcher = await net.client(0, "watcher");
        },
        { timeout: 90_000 },
    );
    after(async () => {
        await atheme?.stop();
        atheme?.remove();
        await net?.stop();
    });

    it("a user registers and identifies on one daemon, and is recognised on another", { skip, timeout: 60_000 }, async () => {
        const alice = await as(0, "alice");
        await ask(alice, "NickServ", `REGISTER ${password} alice@irc-operators.net`, /registered/);
        const elsewhere = await as(1, "bob");
        await ask(elsewhere, "NickServ", "INFO alice", /Information on .*alice/);
        alice.close();
        // Back, through the other daemon: the account is the network's.
        const again = await as(1, "alice");
        await ask(again, "NickServ", `IDENTIFY ${password}`, /You are now identified for .*alice/);
        again.close();
        elsewhere.close();
    });

    it("a channel's founder gets ops back from ChanServ after parting", { skip, timeout: 60_000 }, async () => {
        const alice = await as(1, "alice");
        let bob: IrcClient | undefined;
        try {
            await ask(alice, "NickServ", `IDENTIFY ${password}`, /identified/);
            alice.send("JOIN #room");
            await alice.waitFor(/ 366 /, 5000, "the end of NAMES for #room");
            await ask(alice, "ChanServ", "REGISTER #room", /registered/);
            await alice.ask("PART #room", /^:alice!\S+ PART #room/);
            // Someone else holds the channel meanwhile (on alice's daemon: no join crossing a link to race hers).
            bob = await as(1, "bob");
            bob.send("JOIN #room");
            await bob.waitFor(/ 366 /, 5000, "the end of NAMES for #room");
            const from = alice.lines.length;
            alice.send("JOIN #room");
            // +o for her (ChanServ deops the one who held it meanwhile in the same line: "-o+o bob alice").
            await alice.waitFor(/^:ChanServ!\S+ MODE #room [-+a-z]*\+o\S* (\S+ )*alice$/, 10_000, "ChanServ's +o for the founder", from);
        } finally {
            alice.close();
            bob?.close();
        }
    });

    it("GHOST frees a registered nick held by an impostor", { skip, timeout: 60_000 }, async () => {
        const impostor = await as(0, "alice");
        const alice = await net.client(1, "alice_", tlsTo(1));
        await ask(alice, "NickServ", `GHOST alice ${password}`, /ghost/);
        await waitUntil("the impostor to be cut off", () => impostor.closed, { timeoutMs: 10_000 });
        await alice.ask("NICK alice", /^:alice_!\S+ NICK :?alice$/);
        alice.close();
    });

    it("an oper's AKILL holds on every daemon, and on a daemon that restarts", { skip, timeout: 90_000 }, async () => {
        const [name, operPassword] = opers.find(([n]) => n === "alice")!;
        const oper = await as(0, "alice");
        await ask(oper, "NickServ", `IDENTIFY ${password}`, /identified/);
        await oper.ask(`OPER ${name} ${operPassword}`, / 381 /);
        await ask(oper, "OperServ", "AKILL ADD *spammer*@* !P spam from the test", /added/i);
        const refused = (n: number, nick: string) =>
            net.admits(n, nick, tlsTo(n)).then(
                (a) => a === "banned",
                () => false,
            );
        for (const n of [0, 1]) await waitUntil(`daemon ${n} to refuse the spammer`, () => refused(n, `spammer${n}`), { timeoutMs: 10_000 });
        // Daemon 1 restarts with no K-line: atheme sees the spammer arrive, and K-lines it there again.
        await net.crash(1);
        await net.waitForLinks(oper, replicas + 1, 15_000);
        await waitUntil(
            "the restarted daemon to cut the spammer off",
            async () => {
                try {
                    const c = await net.client(1, "spammer2", tlsTo(1));
                    await waitUntil("its cut", () => c.closed, { timeoutMs: 5000 });
                    return true;
                } catch (e) {
                    return / 465 /.test(String(e));
                }
            },
            { timeoutMs: 30_000, detail: () => atheme.log().slice(-2000) },
        );
        oper.close();
    });

    it(
        "the pod killed and started on an empty volume: the bucket's copy, written after its save, restores every registration",
        { skip, timeout: 90_000 },
        async () => {
            const storage = new FakeStorage();
            const urls = await storage.start();
            const env = {
                ...process.env,
                BUCKET: "catbox-services",
                DATA_DIR: atheme.dataDir,
                STORAGE_URL: urls.storageUrl,
                METADATA_URL: urls.metadataUrl,
                WATCH_SECONDS: "1",
            };
            const watcher = spawn("sh", [backupScript, "watch"], { env, stdio: ["ignore", "ignore", "pipe"] });
            let watchLog = "";
            watcher.stderr.on("data", (d) => (watchLog += d));
            try {
                // The pod goes (kubelet's SIGTERM: atheme saves as it quits); the backup beside it copies the save.
                await atheme.stop();
                const saved = readFileSync(atheme.database);
                await waitUntil(
                    "the save to reach the bucket",
                    () => storage.versions.get("catbox-services/services.db")?.at(-1)?.equals(saved) === true,
                    {
                        timeoutMs: 10_000,
                        detail: () => watchLog,
                    },
                );
                watcher.kill();
                // A new pod on an empty volume (a lost disk, a new stack): the restore, then atheme.
                const fresh = new Atheme(conf);
                const restored = await backup("restore", { ...env, DATA_DIR: fresh.dataDir });
                assert.equal(restored.status, 0, restored.stderr);
                assert.match(restored.stderr, /restored/);
                atheme.remove();
                atheme = fresh;
                atheme.start();
                const bob = await as(0, "bobby");
                await waitUntil("NickServ back", async () => / 311 /.test(await bob.ask("WHOIS NickServ", / 311 | 401 /)), { timeoutMs: 20_000 });
                await ask(bob, "NickServ", "INFO alice", /Information on .*alice/);
                await ask(bob, "ChanServ", "INFO #room", /Information on .*#room/);
                bob.close();
            } finally {
                watcher.kill();
                await storage.stop();
            }
        },
    );

    it("a volume with no copy anywhere starts empty; a bucket that cannot be read stops the start rather than begin empty", { skip }, async () => {
        const storage = new FakeStorage();
        const urls = await storage.start();
        const dir = mkdtempSync(path.join(tmpdir(), "restore-"));
        try {
            const restore = (bucketUrl: string) =>
                backup("restore", { ...process.env, BUCKET: "empty", DATA_DIR: dir, STORAGE_URL: bucketUrl, METADATA_URL: urls.metadataUrl });
            const empty = await restore(urls.storageUrl);
            assert.equal(empty.status, 0, empty.stderr);
            assert.match(empty.stderr, /no copy in gs:\/\/empty yet/);
            // A bucket that answers with an error: the pod's start fails, and kubelet tries again.
            const broken = await restore(`${urls.storageUrl}/broken`);
            assert.notEqual(broken.status, 0);
            assert.match(broken.stderr, /failed \(HTTP \d+\)/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
            await storage.stop();
        }
    });

    it("the prober sees NickServ answer, sees it stop while services are down, and see it again", { skip, timeout: 90_000 }, async () => {
        const prober = await startProber({
            targets: Array.from({ length: replicas }, (_, n) => ({
                server: nameOf(n),
                host: net.address(n),
                port: containerLinkPort,
                tlsHost: net.address(n),
                tlsPort: containerTlsPort,
            })),
            intervalSeconds: 1,
            nickPrefix: "sprobe",
            port: 0,
            ca: pair.certificatePem,
            services: true,
        });
        const servicesUp = async () => {
            const text = await (await fetch(`http://127.0.0.1:${prober.port}/metrics`)).text();
            return sample(parseExposition(text), "catbox_services_up");
        };
        try {
            await waitUntil("catbox_services_up 1", async () => (await servicesUp()) === 1, { timeoutMs: 20_000 });
            await atheme.stop();
            await waitUntil("catbox_services_up 0 once services are gone", async () => (await servicesUp()) === 0, { timeoutMs: 20_000 });
            atheme = new Atheme(conf, atheme.work);
            atheme.start();
            await waitUntil("catbox_services_up 1 again", async () => (await servicesUp()) === 1, { timeoutMs: 30_000, detail: () => atheme.log() });
        } finally {
            await prober.stop();
        }
    });

    it("services restarted keep every registration", { skip, timeout: 60_000 }, async () => {
        await atheme.stop();
        atheme = new Atheme(conf, atheme.work);
        atheme.start();
        const bob = await net.client(0, "bobby", tlsTo(0));
        await waitUntil("NickServ back", async () => / 311 /.test(await bob.ask("WHOIS NickServ", / 311 | 401 /)), { timeoutMs: 20_000 });
        await ask(bob, "NickServ", "INFO alice", /Information on .*alice/);
        await ask(bob, "ChanServ", "INFO #room", /Information on .*#room/);
        bob.close();
    });
});

describe("catbox without the patch: atheme's link refused", () => {
    it("the daemon built as catbox ships it refuses atheme's SVINFO 6 3; the patched one (above) takes it", { skip, timeout: 60_000 }, async () => {
        const unpatched = catboxBinary(undefined, []);
        if (!("path" in unpatched)) throw new Error(unpatched.skip);
        const run = await rendered();
        const net = new LocalNetwork({ binary: unpatched.path, shape, files: run.files, block: 46 });
        const atheme = new Atheme(
            athemeConfForLoopback(run.athemeConf, linkHosts.slice(0, 1), (n) => ({ host: net.address(n), port: containerLinkPort })),
        );
        try {
            await net.start(0);
            atheme.start();
            await waitUntil("atheme to be refused", () => /Unsupported TS version/.test(atheme.log() + net.log(0)), {
                timeoutMs: 20_000,
                detail: () => `${atheme.log()}\n${net.log(0)}`,
            });
            const c = await net.client(0, "looker");
            assert.match(await c.ask("WHOIS NickServ", / 311 | 401 /), / 401 /);
        } finally {
            await atheme.stop();
            atheme.remove();
            await net.stop();
        }
    });
});

/**
 * A TS6 peer on daemon 0's link port, as services link, that sends a TMODE for a
 * channel the daemon does not know (as when a channel empties while services'
 * mode for it crosses the link, seen in `npm run bench:services`), then a PING.
 * What the daemon answers: PONG (the link holds) or ERROR (it dropped it).
 */
async function tmodeForAChannelGone(binary: string, block: number): Promise<string> {
    const run = await rendered();
    const net = new LocalNetwork({ binary, shape, files: run.files, block });
    try {
        await net.start(0);
        const serverName = /^uplink "([^"]+)"/m.exec(run.athemeConf)![1];
        const services = /name = "([^"]+)";/.exec(run.athemeConf)![1];
        const password = /send_password = "([^"]+)";/.exec(run.athemeConf)![1];
        assert.equal(serverName, nameOf(0));
        const socket = netConnect(containerLinkPort, net.address(0));
        let text = "";
        socket.setEncoding("utf8");
        socket.on("data", (d) => (text += d));
        await new Promise((resolve) => socket.once("connect", resolve));
        const now = Math.floor(Date.now() / 1000);
        socket.write(`PASS ${password} TS 6 :0ZZ\r\nCAPAB :QS ENCAP EX IE TB\r\nSERVER ${services} 1 :services\r\nSVINFO 6 6 0 :${now}\r\n`);
        await waitUntil("the daemon's burst", () => /^SVINFO /m.test(text), { timeoutMs: 10_000, detail: () => text });
        socket.write(`:0ZZ TMODE ${now} #gone +o 000AAAAAA\r\n:0ZZ PING ${services} :000\r\n`);
        await waitUntil("a PONG or an ERROR", () => / PONG | ERROR /.test(text), { timeoutMs: 10_000, detail: () => text });
        socket.destroy();
        return text;
    } finally {
        await net.stop();
    }
}

describe("catbox with configs/patches/0002: a TMODE for a channel gone does not drop the link", () => {
    it("the patched daemon ignores it and answers the PING; without the patch it drops the link", { skip, timeout: 60_000 }, async () => {
        const patched = catboxBinary();
        const without = catboxBinary(
            undefined,
            projectPatches().filter((p) => !p.includes("0002-")),
        );
        if (!("path" in patched) || !("path" in without)) throw new Error("no catbox");
        const answered = await tmodeForAChannelGone(patched.path, 48);
        assert.match(answered, / PONG /, `${patched.path}:\n${answered}`);
        const dropped = await tmodeForAChannelGone(without.path, 50);
        assert.match(dropped, / ERROR :Unknown channel \(TMODE\)/, `${without.path}:\n${dropped}`);
    });
});
