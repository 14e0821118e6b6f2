// `npm run bench:services [-- --users 500 --channels 100]`: what IRC services
// cost, run as their pod runs them (Debian's atheme-services with the atheme.conf
// the stack renders) linked to two real daemons on loopback: atheme's resident
// memory and CPU, idle and after that many users registered (each identifies,
// and every fifth registers a channel), and the database's size. A measurement,
// not a test.
import { readFileSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { containerLinkPort, linkHost, serverName } from "../components/catbox/names";
import { catboxBinary } from "../harness/realCatbox/binary";
import { LocalNetwork, shapeOf } from "../harness/realCatbox/localNetwork";
import { cpuSeconds, rssBytes } from "../harness/realCatbox/procStats";
import { selfSignedPair } from "../harness/realCatbox/tlsPair";
import { readStackFile, renderStack } from "../harness/offline/stack";
import { Atheme, athemeConfForLoopback } from "../harness/services/atheme";
import { waitUntil } from "../harness/waitUntil";
import { arg } from "./args";

const users = Number(arg("users", "500"));
const channels = Number(arg("channels", "100"));

async function main() {
    const bin = catboxBinary();
    if ("skip" in bin) throw new Error(`no catbox: ${bin.skip}`);
    const cfg = readStackFile("dev").config;
    const names = [0, 1].map((n) => serverName(cfg["catbox-gke:serverNamePattern"], n));
    const pair = selfSignedPair(names);
    const run = await renderStack(
        "dev",
        {
            replicas: "2",
            tlsMode: "provided",
            tlsCertificate: pair.certificatePem,
            tlsKey: pair.keyPem,
            services: "true",
            servicesImage: "catbox-services:dev",
        },
        ["tlsKey"],
    );
    const net = new LocalNetwork({ binary: bin.path, shape: shapeOf(cfg), files: run.files, block: 252 });
    await Promise.all([0, 1].map((n) => net.start(n)));
    const hosts = [0, 1].map((n) => linkHost(cfg["catbox-gke:networkName"] ?? "catbox", cfg["catbox-gke:namespace"], "cluster.local", n));
    const atheme = new Atheme(athemeConfForLoopback(run.athemeConf!, hosts, (n) => ({ host: net.address(n), port: containerLinkPort })));
    try {
        atheme.start();
        const watcher = await net.client(0, "watcher");
        await waitUntil("NickServ", async () => / 311 /.test(await watcher.ask("WHOIS NickServ", / 311 | 401 /)), { timeoutMs: 20_000 });
        const pid = Number(readFileSync(`${atheme.work}/atheme.pid`, "utf8"));
        await sleep(3000);
        const idle = rssBytes(pid);
        const cpu0 = cpuSeconds(pid);
        const start = Date.now();
        // Registration is rate-limited per client by services' flood control: one client each, a few at a time.
        for (let i = 0; i < users; i += 10) {
            await Promise.all(
                Array.from({ length: Math.min(10, users - i) }, async (_, k) => {
                    const n = i + k;
                    const c = await net.client(n % 2, `u${n}`);
                    await c.ask(`PRIVMSG NickServ :REGISTER pass-${n}-word u${n}@irc-operators.net`, /NOTICE u\d+ :.*registered/, 15_000);
                    if (n % Math.max(1, Math.floor(users / channels)) === 0) {
                        c.send(`JOIN #c${n}`);
                        await c.waitFor(/ 366 /, 5000, "NAMES");
                        await c.ask(`PRIVMSG ChanServ :REGISTER #c${n}`, /NOTICE u\d+ :.*registered/, 15_000);
                    }
                    c.close();
                }),
            );
        }
        const seconds = (Date.now() - start) / 1000;
        const cpu = (cpuSeconds(pid) - cpu0) / seconds;
        const busy = rssBytes(pid);
        await atheme.stop();
        const db = statSync(atheme.database).size;
        console.log(`atheme 7.2 (Debian), ${users} users registered and ${channels} channels, on two real daemons:\n`);
        console.log("| | resident MiB | CPU millicores |\n|---|---|---|");
        console.log(`| idle, empty database | ${(idle / 2 ** 20).toFixed(1)} | |`);
        console.log(`| while registering (${(users / seconds).toFixed(0)} a second) | ${(busy / 2 ** 20).toFixed(1)} | ${(cpu * 1000).toFixed(0)} |`);
        console.log(`\nservices.db: ${(db / 1024).toFixed(0)} KiB`);
    } catch (e) {
        console.error(atheme.log().split("\n").slice(-30).join("\n"));
        throw e;
    } finally {
        await atheme.stop();
        atheme.remove();
        await net.stop();
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
