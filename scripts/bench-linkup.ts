// `npm run bench:linkup [-- --runs 10 --sizes 2,3,5 --stack dev]`: how fast the
// network forms and reloads, on the real catbox and loopback:
//   link-up   from the last daemon's start to LINKS on daemon 0 listing all N
//   reload    from a kubelet-style swap of the Secret volume to a new client
//             being served the new MOTD (the reloader at its default poll)
// The files are the stack's, rendered as `npm run render` renders them, with
// connectAttemptTime as the stack sets it unless --connect-attempt-time says.
// A measurement, not a test: it prints figures and exits 0.
import { setTimeout as sleep } from "node:timers/promises";
import { catboxBinary } from "../harness/realCatbox/binary";
import { LocalNetwork, shapeOf } from "../harness/realCatbox/localNetwork";
import { readStackFile, renderCatboxFiles } from "../harness/offline/stack";
import { arg } from "./args";

const stack = arg("stack", "dev");
const runs = Number(arg("runs", "10"));
const sizes = arg("sizes", "2,3,5").split(",").map(Number);
const stackConfig = readStackFile(stack).config;
/** Pods never start at one instant: each starts after a random delay of up to this. */
const staggerMs = Number(arg("stagger-ms", "0"));
const connectAttemptTime = arg("connect-attempt-time", stackConfig["catbox-gke:connectAttemptTime"]);
const shape = shapeOf(stackConfig);

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const secs = (ms: number) => (ms / 1000).toFixed(2);

/** Runs in which two daemons linked twice at once and catbox dropped a path. */
let collisions = 0;

async function linkUp(binary: string, n: number, files: Record<string, string>): Promise<number> {
    const net = new LocalNetwork({ binary, shape, files, block: 200 });
    try {
        // As a StatefulSet with Parallel pod management starts them: together, give or take.
        await Promise.all(
            Array.from({ length: n }, async (_, i) => {
                await sleep(Math.random() * staggerMs);
                await net.start(i);
            }),
        );
        const lastStart = Date.now();
        const probe = await net.client(0, "bench");
        await net.waitForLinks(probe, n, 60_000);
        const took = Date.now() - lastStart;
        if (Array.from({ length: n }, (_, i) => net.log(i)).some((l) => /already linked/i.test(l))) collisions++;
        return took;
    } finally {
        await net.stop();
    }
}

async function reload(binary: string, files: Record<string, string>, next: Record<string, string>, motd: string): Promise<number> {
    const net = new LocalNetwork({ binary, shape, files, block: 201, reloaderShell: ["busybox", "sh"] });
    try {
        await net.start(0);
        // The reloader notes ..data at its start; swap only once it watches.
        for (let i = 0; i < 100 && !net.reloaderLog(0).includes("watching"); i++) await sleep(20);
        const swapped = Date.now();
        net.swap(next);
        for (let i = 0; ; i++) {
            const c = await net.client(0, `bench${i}`);
            const seen = await c.waitFor(/ 376 | 422 /, 5000, "end of MOTD");
            const served = c.lines.some((l) => / 372 .*:- /.test(l) && l.includes(motd));
            c.close();
            if (served) return Date.now() - swapped;
            if (Date.now() - swapped > 30_000) throw new Error(`new MOTD not served after 30 s (last: ${seen})`);
            await sleep(50);
        }
    } finally {
        await net.stop();
    }
}

async function main() {
    const bin = catboxBinary();
    if ("skip" in bin) {
        console.error(`no catbox: ${bin.skip}`);
        process.exit(1);
    }
    console.log(
        `catbox ${bin.version}, stack ${stack}, connect-attempt-time ${connectAttemptTime}, starts spread over ${staggerMs} ms, ${runs} runs each`,
    );
    console.log("N  median_s  worst_s  runs_over_3s  collisions  all_s");
    for (const n of sizes) {
        const files = await renderCatboxFiles(stack, { replicas: String(n), connectAttemptTime });
        const times: number[] = [];
        collisions = 0;
        for (let r = 0; r < runs; r++) times.push(await linkUp(bin.path, n, files));
        console.log(
            `${n}  ${secs(median(times)).padStart(8)}  ${secs(Math.max(...times)).padStart(7)}  ${String(times.filter((t) => t > 3000).length).padStart(12)}  ${String(collisions).padStart(10)}  ${times.map(secs).join(" ")}`,
        );
    }
    const files = await renderCatboxFiles(stack, { replicas: "1" });
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
        const motd = `bench motd ${r}`;
        times.push(await reload(bin.path, files, await renderCatboxFiles(stack, { replicas: "1", motd }), motd));
    }
    console.log(
        `reload: swap -> new MOTD served: median ${secs(median(times))} s, worst ${secs(Math.max(...times))} s (${times.map(secs).join(" ")})`,
    );
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
