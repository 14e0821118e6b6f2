// `npm run bench:capacity [-- --steps 100,250,500,1000,1500,2000 --talkers 20 --seconds 10]`:
// how many clients a daemon holds, on the real catbox and loopback. Two daemons
// linked (the dev stack's rendered files), clients spread over both as the load
// balancer spreads them, all in one channel, over TLS on the client port as
// users connect. At each step the clients grow to C; then `talkers` of them on
// daemon 0 each send a line a second for `seconds`, and observers on daemon 1
// time every line across the link. Printed per step:
//   reg_s     time for the step's new clients to register (001) and join
//   deliv     lines the observers got / lines they should have got
//   p50, p99  latency of a line from daemon 0's talker to daemon 1's observer, ms
//   cpu_s     CPU seconds each daemon spent in the talking phase
//   rss       resident memory of each daemon, MiB
//   data      resident pages holding other than zeros, MiB (what catbox really uses
//             here: this machine has no shared zero page, so RSS overstates it)
// With --gomemlimit, catbox runs with GOMEMLIMIT set (e.g. 200MiB), as in the pod.
// With --watchdog, each pod runs the reloader's health check at its defaults and
// the table says whether it ever failed or killed catbox (a busy daemon must be left alone).
// A measurement, not a test: it prints figures and exits 0.
import { setTimeout as sleep } from "node:timers/promises";
import { containerTlsPort, serverName } from "../components/catbox/names";
import { catboxBinary } from "../harness/realCatbox/binary";
import { IrcClient } from "../harness/realCatbox/ircClient";
import { LocalNetwork, shapeOf } from "../harness/realCatbox/localNetwork";
import { cpuSeconds, dataBytes, rssBytes } from "../harness/realCatbox/procStats";
import { selfSignedPair } from "../harness/realCatbox/tlsPair";
import { readStackFile, renderCatboxFiles } from "../harness/offline/stack";
import { arg } from "./args";

const steps = arg("steps", "100,250,500,1000,1500,2000").split(",").map(Number);
const talkers = Number(arg("talkers", "20"));
const seconds = Number(arg("seconds", "10"));
const observers = Number(arg("observers", "10"));
const gomemlimit = arg("gomemlimit", "");
const watchdog = process.argv.includes("--watchdog");
const stack = "dev";

const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const percentile = (xs: number[], p: number) => {
    if (xs.length === 0) return NaN;
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function main() {
    const bin = catboxBinary();
    if ("skip" in bin) {
        console.error(`no catbox: ${bin.skip}`);
        process.exit(1);
    }
    const cfg = readStackFile(stack).config;
    const names = [0, 1].map((n) => serverName(cfg["catbox-gke:serverNamePattern"], n));
    const pair = selfSignedPair(names);
    const files = await renderCatboxFiles(stack, { replicas: "2", tlsMode: "provided", tlsCertificate: pair.certificatePem, tlsKey: pair.keyPem }, [
        "tlsKey",
    ]);
    const net = new LocalNetwork({
        binary: bin.path,
        shape: shapeOf(cfg),
        files,
        block: 210,
        catboxEnv: gomemlimit ? { GOMEMLIMIT: gomemlimit } : {},
        ...(watchdog ? { reloaderShell: ["busybox", "sh"] } : {}),
    });
    const clients: IrcClient[] = [];
    try {
        await Promise.all([net.start(0), net.start(1)]);
        const probe = await net.client(0, "probe");
        await net.waitForLinks(probe, 2, 30_000);
        const pids = [net.catboxPid(0), net.catboxPid(1)];
        console.log(
            `catbox ${bin.version}, 2 linked daemons, TLS clients, ${talkers} talkers x 1 line/s for ${seconds} s, ${observers} observers across the link` +
                `${gomemlimit ? `, GOMEMLIMIT=${gomemlimit}` : ""}${watchdog ? ", watchdog on" : ""}`,
        );
        console.log("clients  reg_s  deliv   p50_ms  p99_ms  cpu_s(0/1)   rss_MiB(0/1)  data_MiB(0/1)");
        const tlsTo = (n: number) => ({ servername: names[n], ca: pair.certificatePem });
        const register = async (i: number) => {
            const n = i % 2;
            const c = await IrcClient.connect({ host: net.address(n), port: containerTlsPort, nick: `u${i}`, tls: tlsTo(n), timeoutMs: 60_000 });
            c.keepLines = false;
            c.send("JOIN #load");
            clients.push(c);
            return c;
        };
        for (const target of steps) {
            const t0 = Date.now();
            // Connect in batches, as a crowd arrives, not all in one instant.
            while (clients.length < target) {
                const batch = Math.min(50, target - clients.length);
                await Promise.all(Array.from({ length: batch }, (_, k) => register(clients.length + k)));
            }
            await sleep(500);
            const regSeconds = (Date.now() - t0) / 1000;

            // Talkers on daemon 0 (even indexes), observers on daemon 1 (odd indexes).
            const talking = clients.filter((_, i) => i % 2 === 0).slice(0, talkers);
            const watching = clients.filter((_, i) => i % 2 === 1).slice(0, observers);
            const latencies: number[] = [];
            let received = 0;
            for (const o of watching) {
                o.onLine = (l) => {
                    const m = / PRIVMSG #load :t (\d+)$/.exec(l);
                    if (m) {
                        received++;
                        latencies.push(Date.now() - Number(m[1]));
                    }
                };
            }
            const cpu0 = pids.map(cpuSeconds);
            let sent = 0;
            for (let s = 0; s < seconds; s++) {
                for (const t of talking) {
                    t.send(`PRIVMSG #load :t ${Date.now()}`);
                    sent++;
                }
                await sleep(1000);
            }
            await sleep(2000);
            const cpu = pids.map((p, i) => cpuSeconds(p) - cpu0[i]);
            for (const o of watching) o.onLine = undefined;
            const expected = sent * watching.length;
            console.log(
                [
                    String(target).padStart(7),
                    regSeconds.toFixed(1).padStart(6),
                    (received / expected).toFixed(3).padStart(6),
                    String(percentile(latencies, 50)).padStart(8),
                    String(percentile(latencies, 99)).padStart(7),
                    cpu
                        .map((c) => c.toFixed(1))
                        .join("/")
                        .padStart(11),
                    pids
                        .map((p) => mib(rssBytes(p)))
                        .join("/")
                        .padStart(14),
                    pids
                        .map((p) => mib(dataBytes(p)))
                        .join("/")
                        .padStart(14),
                ].join(" "),
            );
            const lost = clients.filter((c) => c.closed).length;
            if (lost) console.log(`        ${lost} clients were disconnected`);
            if (watchdog) {
                const log = [0, 1].map((n) => net.reloaderLog(n)).join("\n");
                const pidsNow = [net.catboxPid(0), net.catboxPid(1)];
                console.log(
                    `        watchdog: ${(log.match(/health check failed/g) ?? []).length} failed checks, ` +
                        `${pidsNow.every((p, i) => p === pids[i]) ? "catbox left alone" : "catbox was killed"}`,
                );
            }
        }
    } finally {
        for (const c of clients) c.close();
        await net.stop();
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
