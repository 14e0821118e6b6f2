// `npm run bench:regions [-- --runs 5 --replicas 2 --hubs 2]`: one network across
// two regions on the real catbox (harness/realCatbox/twoRegions.ts: verified TLS
// between the hubs, public names through a private /etc/hosts), timed over
// several runs. Per run:
//   linkup    from the last daemon started until every daemon sees all of them
//   relink    from killing the hub that holds the link between regions until the
//             regions see each other again, through the other hub
//   rejoin    from restarting a whole region (every pod of it killed) until the
//             network is whole again
// A measurement, not a test: it prints figures and exits 0.
import { catboxBinary } from "../harness/realCatbox/binary";
import { IrcClient } from "../harness/realCatbox/ircClient";
import { regionCertificates, regionNames, twoRegions } from "../harness/realCatbox/twoRegions";
import { testCa } from "../harness/realCatbox/tlsPair";
import { arg } from "./args";

const runs = Number(arg("runs", "5"));
const replicas = Number(arg("replicas", "2"));
const hubs = Number(arg("hubs", "2"));
const deadlineMs = 60_000;

/** How long until LINKS on `c` lists `count` servers, polling every 50 ms. */
async function until(c: IrcClient, count: number): Promise<number> {
    const start = Date.now();
    while ((await c.links().catch(() => [])).length < count) {
        if (Date.now() - start > deadlineMs) throw new Error(`no ${count} servers within ${deadlineMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
    }
    return Date.now() - start;
}

const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `median ${(s[Math.floor(s.length / 2)] / 1000).toFixed(2)} s, worst ${(s[s.length - 1] / 1000).toFixed(2)} s`;
};

async function main() {
    const bin = catboxBinary();
    if ("skip" in bin) throw new Error(`no catbox: ${bin.skip}`);
    const ca = testCa();
    const certificates = regionCertificates(ca, replicas);
    const linkup: number[] = [];
    const relink: number[] = [];
    const rejoin: number[] = [];
    for (let run = 0; run < runs; run++) {
        const r = await twoRegions({ replicas, hubs, block: 240, ca, certificates, binary: bin.path });
        try {
            await Promise.all(regionNames.map((x) => r.startRegion(x)));
            const started = Date.now();
            const watchers = await Promise.all(Array.from({ length: replicas }, (_, n) => r.nets.us.client(n, `w${n}`)));
            await until(watchers[replicas - 1], 2 * replicas);
            linkup.push(Date.now() - started);
            // The us hub with an eu server one hop away holds the link.
            let holder = 0;
            for (let n = 0; n < Math.min(hubs, replicas); n++) {
                const from = watchers[n].lines.length;
                watchers[n].send("LINKS");
                await watchers[n].waitFor(/ 365 /, 5000, "end of LINKS", from);
                if (watchers[n].lines.slice(from).some((l) => / 364 \S+ \S+\.eu\.\S+ :1 /.test(l))) holder = n;
            }
            const survivor = watchers[holder === 0 ? 1 : 0];
            await r.nets.us.stopPod(holder);
            relink.push(await until(survivor, 2 * replicas - 1));
            await r.nets.us.start(holder);
            await until(survivor, 2 * replicas);
            for (let n = 0; n < replicas; n++) await r.nets.eu.stopPod(n);
            await until(survivor, replicas);
            const back = Date.now();
            await r.startRegion("eu");
            await until(survivor, 2 * replicas);
            rejoin.push(Date.now() - back);
        } finally {
            await r.stop();
        }
    }
    console.log(`two regions x ${replicas} daemons, ${hubs} hubs each, ${runs} runs, loopback, catbox ${bin.version}:`);
    console.log(`  link-up (last daemon started -> every daemon sees all): ${stats(linkup)}`);
    console.log(`  relink after the link-holding hub is killed: ${stats(relink)}`);
    console.log(`  rejoin after a whole region restarts: ${stats(rejoin)}`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
