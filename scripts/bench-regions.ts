// `npm run bench:regions [-- --runs 20 --replicas 2 --hubs 2 --relinker on]`: one
// network across two regions on the real catbox (harness/realCatbox/twoRegions.ts:
// verified TLS between the hubs, public names through a private /etc/hosts, each
// pod's reloader under busybox), timed over several runs. Per run:
//   linkup    from the last daemon started until every daemon sees all of them
//   relink    from killing the hub that holds the link between regions until the
//             regions see each other again, through the other hub
//   rejoin    from restarting a whole region (every pod of it killed) until the
//             network is whole again
// and after link-up, after the relink and after the killed hub is back, the
// network's shape: exactly one link between the regions, each region's daemons
// linked inside it (harness/realCatbox/topology.ts), how often it was not at
// first sight and how long until it was, and how many links the hubs' reloaders
// dropped to put it right. --relinker off runs the reloaders without
// relink-n.conf: catbox alone.
// A measurement, not a test: it prints figures and exits 0.
import { catboxBinary } from "../harness/realCatbox/binary";
import { IrcClient } from "../harness/realCatbox/ircClient";
import { links, topologyProblems } from "../harness/realCatbox/topology";
import { regionCertificates, regionNames, regionServers, twoRegions, type Region, type TwoRegions } from "../harness/realCatbox/twoRegions";
import { testCa } from "../harness/realCatbox/tlsPair";
import { arg } from "./args";

const runs = Number(arg("runs", "5"));
const replicas = Number(arg("replicas", "2"));
const hubs = Number(arg("hubs", "2"));
const relinker = arg("relinker", "on") === "on";
const deadlineMs = 60_000;
const shapeDeadlineMs = 20_000;

/** How long until LINKS on `c` lists `count` servers, polling every 50 ms. */
async function until(c: IrcClient, count: number): Promise<number> {
    const start = Date.now();
    while ((await c.links().catch(() => [])).length < count) {
        if (Date.now() - start > deadlineMs) throw new Error(`no ${count} servers within ${deadlineMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
    }
    return Date.now() - start;
}

/** Whether the shape was right at first sight, and how long until it was (undefined: not within the deadline). */
async function shape(watchers: IrcClient[]): Promise<{ firstSight: string[]; goodAfterMs?: number }> {
    const start = Date.now();
    let firstSight: string[] | undefined;
    while (Date.now() - start < shapeDeadlineMs) {
        const problems = topologyProblems(await links(watchers).catch(() => [["?", "?"]]), regionServers(replicas));
        firstSight ??= problems;
        if (problems.length === 0) return { firstSight, goodAfterMs: Date.now() - start };
        await new Promise((r) => setTimeout(r, 200));
    }
    return { firstSight: firstSight ?? ["never read"] };
}

const stats = (xs: number[]) => {
    if (xs.length === 0) return "none";
    const s = [...xs].sort((a, b) => a - b);
    return `median ${(s[Math.floor(s.length / 2)] / 1000).toFixed(2)} s, worst ${(s[s.length - 1] / 1000).toFixed(2)} s`;
};

/** A client on every daemon but the us one stopped. */
async function watchersOf(r: TwoRegions, tag: string, stopped?: number): Promise<IrcClient[]> {
    const on = regionNames
        .flatMap((x, i) => Array.from({ length: replicas }, (_, n) => ({ x, i, n })))
        .filter((d) => !(d.x === "us" && d.n === stopped));
    return Promise.all(on.map((d) => r.nets[d.x].client(d.n, `w${d.i}${d.n}${tag}`)));
}

async function main() {
    const bin = catboxBinary();
    if ("skip" in bin) throw new Error(`no catbox: ${bin.skip}`);
    const ca = testCa();
    const certificates = regionCertificates(ca, replicas);
    const linkup: number[] = [];
    const relink: number[] = [];
    const rejoin: number[] = [];
    const shapes: Record<string, { bad: number; failed: number; fixMs: number[]; drops: number[] }> = {};
    // The links the hubs' reloaders dropped (SQUIT) since the run began. A pod's log starts
    // afresh when the pod starts again, so what it said before is carried then.
    let carried = 0;
    const dropsIn = (r: TwoRegions, x: Region, n: number) => r.nets[x].reloaderLog(n).split("dropping this hub's link").length - 1;
    const pods = [...Array(replicas).keys()];
    const dropped = (r: TwoRegions) => carried + regionNames.reduce((s, x) => s + pods.reduce((t, n) => t + dropsIn(r, x, n), 0), 0);
    const startAgain = async (r: TwoRegions, x: Region, n?: number) => {
        for (const m of n === undefined ? pods : [n]) carried += dropsIn(r, x, m);
        await (n === undefined ? r.startRegion(x) : r.nets[x].start(n));
    };
    const record = (when: string, s: { firstSight: string[]; goodAfterMs?: number }, drops: number) => {
        const x = (shapes[when] ??= { bad: 0, failed: 0, fixMs: [], drops: [] });
        if (s.firstSight.length > 0) {
            x.bad++;
            if (s.goodAfterMs === undefined) x.failed++;
            else x.fixMs.push(s.goodAfterMs);
            x.drops.push(drops);
            console.log(
                `  ${when}: ${s.firstSight.join("; ")}${s.goodAfterMs === undefined ? " (never right)" : ` (right after ${s.goodAfterMs} ms, ${drops} link(s) dropped)`}`,
            );
        }
    };
    // Quick checks so that a fault is dropped within a second or two here.
    const reloaderEnv = { POLL_SECONDS: "1", RELINK_SECONDS: "1", HEALTH_SECONDS: "600", ...(relinker ? {} : { POD_NAME: "" }) };
    for (let run = 0; run < runs; run++) {
        const r = await twoRegions({ replicas, hubs, block: 240, ca, certificates, binary: bin.path, reloaderEnv });
        carried = 0;
        try {
            await Promise.all(regionNames.map((x) => r.startRegion(x)));
            const started = Date.now();
            const us = await Promise.all(Array.from({ length: replicas }, (_, n) => r.nets.us.client(n, `u${n}`)));
            await until(us[replicas - 1], 2 * replicas);
            linkup.push(Date.now() - started);
            record("after link-up", await shape(await watchersOf(r, "a")), dropped(r));
            // The us hub with an eu server one hop away holds the link.
            let holder = 0;
            for (let n = 0; n < Math.min(hubs, replicas); n++) {
                if ((await us[n].linksWithHops()).some((l) => l.hops === 1 && l.server.includes(".eu."))) holder = n;
            }
            const survivor = us[holder === 0 ? 1 : 0];
            let before = dropped(r);
            await r.nets.us.stopPod(holder);
            relink.push(await until(survivor, 2 * replicas - 1));
            record("after the link-holding hub dies", await shape(await watchersOf(r, "b", holder)), dropped(r) - before);
            before = dropped(r);
            await startAgain(r, "us", holder);
            await until(survivor, 2 * replicas);
            record("after it is back", await shape(await watchersOf(r, "c")), dropped(r) - before);
            for (let n = 0; n < replicas; n++) await r.nets.eu.stopPod(n);
            await until(survivor, replicas);
            const back = Date.now();
            before = dropped(r);
            await startAgain(r, "eu");
            await until(survivor, 2 * replicas);
            rejoin.push(Date.now() - back);
            record("after eu restarts whole", await shape(await watchersOf(r, "d")), dropped(r) - before);
        } finally {
            await r.stop();
        }
    }
    console.log(
        `two regions x ${replicas} daemons, ${hubs} hubs each, ${runs} runs, loopback, catbox ${bin.version}, relinker ${relinker ? "on" : "off"}:`,
    );
    console.log(`  link-up (last daemon started -> every daemon sees all): ${stats(linkup)}`);
    console.log(`  relink after the link-holding hub is killed: ${stats(relink)}`);
    console.log(`  rejoin after a whole region restarts: ${stats(rejoin)}`);
    for (const [when, x] of Object.entries(shapes)) {
        console.log(
            `  shape ${when}: wrong at first sight in ${x.bad} of ${runs} runs, never right in ${x.failed}; put right in ${stats(x.fixMs)}; links dropped to put it right: ${x.drops.join(", ")}`,
        );
    }
    for (const when of ["after link-up", "after the link-holding hub dies", "after it is back", "after eu restarts whole"]) {
        if (!shapes[when]) console.log(`  shape ${when}: right at first sight in every run`);
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
