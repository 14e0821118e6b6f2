// `npm run bench:prober [-- --daemons 3 --interval 5 --seconds 60]`: what the
// prober costs, run as its image runs it (prober/ bundled by esbuild, plain
// node) against the real catbox on loopback: its resident memory and CPU over
// the run, and the rounds it finished. A measurement, not a test.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { containerLinkPort, containerTlsPort, serverName } from "../components/catbox/names";
import { catboxBinary } from "../harness/realCatbox/binary";
import { bundleProber } from "../harness/realCatbox/proberBundle";
import { LocalNetwork, shapeOf } from "../harness/realCatbox/localNetwork";
import { cpuSeconds, rssBytes } from "../harness/realCatbox/procStats";
import { selfSignedPair } from "../harness/realCatbox/tlsPair";
import { readStackFile, renderCatboxFiles } from "../harness/offline/stack";
import { waitUntil } from "../harness/waitUntil";
import { arg } from "./args";

const daemons = Number(arg("daemons", "3"));
const interval = Number(arg("interval", "5"));
const seconds = Number(arg("seconds", "60"));

async function main() {
    const bin = catboxBinary();
    if ("skip" in bin) throw new Error(`no catbox: ${bin.skip}`);
    const cfg = readStackFile("dev").config;
    const names = Array.from({ length: daemons }, (_, n) => serverName(cfg["catbox-gke:serverNamePattern"], n));
    const pair = selfSignedPair(names);
    const files = await renderCatboxFiles(
        "dev",
        { replicas: String(daemons), tlsMode: "provided", tlsCertificate: pair.certificatePem, tlsKey: pair.keyPem },
        ["tlsKey"],
    );
    const net = new LocalNetwork({ binary: bin.path, shape: shapeOf(cfg), files, block: 230 });
    const work = mkdtempSync(path.join(tmpdir(), "prober-bundle-"));
    try {
        const bundle = bundleProber(work);
        await Promise.all(names.map((_, n) => net.start(n)));
        const probe = await net.client(0, "linker");
        await net.waitForLinks(probe, daemons, 30_000);
        probe.close();
        const targets = names.map((server, n) => ({
            server,
            host: net.address(n),
            port: containerLinkPort,
            tlsHost: net.address(n),
            tlsPort: containerTlsPort,
        }));
        const port = 19000 + (process.pid % 1000);
        const prober = spawn(process.execPath, [bundle], {
            env: {
                PATH: process.env.PATH,
                PROBER_TARGETS: JSON.stringify(targets),
                PROBER_INTERVAL_SECONDS: String(interval),
                PROBER_PORT: String(port),
                PROBER_CA: pair.certificatePem,
            },
            stdio: "ignore",
        });
        try {
            const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
            await waitUntil("the prober's first round", async () => /^catbox_prober_rounds_total [1-9]/m.test(await scrape().catch(() => "")), {
                timeoutMs: 30_000,
            });
            const cpu0 = cpuSeconds(prober.pid!);
            let peak = 0;
            const end = Date.now() + seconds * 1000;
            while (Date.now() < end) {
                peak = Math.max(peak, rssBytes(prober.pid!));
                await sleep(500);
            }
            const cpu = cpuSeconds(prober.pid!) - cpu0;
            const rounds = /^catbox_prober_rounds_total (\d+)/m.exec(await scrape())?.[1];
            console.log(
                `prober against ${daemons} daemons, a round every ${interval} s, for ${seconds} s: ` +
                    `RSS now ${(rssBytes(prober.pid!) / 2 ** 20).toFixed(0)} MiB (peak ${(peak / 2 ** 20).toFixed(0)} MiB), ` +
                    `CPU ${cpu.toFixed(2)} s (${((1000 * cpu) / seconds).toFixed(1)} millicores), ${rounds} rounds in all`,
            );
        } finally {
            prober.kill();
        }
    } finally {
        await net.stop();
        rmSync(work, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
