// `npm run bench:web [-- --users 10,25,50 --seconds 60]`: what the web client
// costs, run as its pod runs it (The Lounge from web/ on Node.js 22, HTTPS, the
// rendered config.js) against two real linked catbox daemons on loopback, with
// real browsers: for each count, that many pages of one headless Chromium each
// join one channel as a user, and each says a line every 10 s, as a busy
// channel would. The Lounge's resident memory and CPU, idle, then at each count.
// A measurement, not a test (the browsers share the machine's cores with it).
import { setTimeout as sleep } from "node:timers/promises";
import type { Page } from "playwright-core";
import { serverName } from "../components/catbox/names";
import { catboxBinary } from "../harness/realCatbox/binary";
import { freePorts, LocalNetwork, shapeOf } from "../harness/realCatbox/localNetwork";
import { cpuSeconds, rssBytes } from "../harness/realCatbox/procStats";
import { selfSignedPair } from "../harness/realCatbox/tlsPair";
import { readStackFile, renderCatboxFiles } from "../harness/offline/stack";
import { launchBrowser } from "../harness/web/browser";
import { Lounge } from "../harness/web/lounge";
import { arg } from "./args";

const counts = arg("users", "10,25,50").split(",").map(Number);
const seconds = Number(arg("seconds", "60"));
const webName = "web.dev.example.org";

/** The Lounge's memory and CPU over `seconds`, while `talk` runs. */
async function measure(pid: number, talk: () => Promise<void>): Promise<{ rssMiB: number; cpuMilli: number }> {
    const cpu0 = cpuSeconds(pid);
    const start = Date.now();
    let peak = 0;
    while (Date.now() - start < seconds * 1000) {
        await talk();
        peak = Math.max(peak, rssBytes(pid));
        await sleep(1000);
    }
    return { rssMiB: peak / 2 ** 20, cpuMilli: ((cpuSeconds(pid) - cpu0) / ((Date.now() - start) / 1000)) * 1000 };
}

async function main() {
    const bin = catboxBinary();
    if ("skip" in bin) throw new Error(`no catbox: ${bin.skip}`);
    const cfg = readStackFile("dev").config;
    const nameOf = (n: number) => serverName(cfg["catbox-gke:serverNamePattern"], n);
    const pair = selfSignedPair([nameOf(0), nameOf(1)]);
    const files = await renderCatboxFiles("dev", { replicas: "2", tlsMode: "provided", tlsCertificate: pair.certificatePem, tlsKey: pair.keyPem }, [
        "tlsKey",
    ]);
    const net = new LocalNetwork({ binary: bin.path, shape: shapeOf(cfg), files, block: 250 });
    await Promise.all([0, 1].map((n) => net.start(n)));
    const linker = await net.client(0, "linker");
    await net.waitForLinks(linker, 2, 30_000);
    const [port] = await freePorts(1);
    const lounge = new Lounge({
        spec: { networkName: "dev", ircHost: nameOf(0), ircPort: 6697, reverseProxy: false, maxNickLength: 9 },
        address: "127.0.0.1",
        port,
        tls: selfSignedPair([webName]),
        hosts: `${net.address(0)} ${nameOf(0)}`,
        caPem: pair.certificatePem,
    });
    await lounge.start();
    const browser = await launchBrowser({ name: webName, address: "127.0.0.1", certificatePem: lounge.o.tls!.certificatePem });
    const pid = lounge.pid!;
    const rows: string[] = [];
    const pages: Page[] = [];
    try {
        await sleep(5000);
        const idle = await measure(pid, async () => undefined);
        rows.push(`| 0 | ${idle.rssMiB.toFixed(0)} | ${idle.cpuMilli.toFixed(1)} |`);
        let said = 0;
        for (const users of counts) {
            while (pages.length < users) {
                const page = await browser.context.newPage();
                await page.goto(`https://${webName}:${port}/`);
                await page.fill('input[name="nick"]', `web${pages.length}`);
                await page.fill('input[name="join"]', "#bench");
                await page.click('button[type="submit"]');
                await page.locator("#input").waitFor({ timeout: 30_000 });
                pages.push(page);
            }
            // Each user a line every 10 s: a tenth of them each second.
            const talk = async () => {
                for (const page of pages.filter((_, i) => i % 10 === said % 10)) {
                    await page.locator("#input").fill(`line ${said} from a browser`);
                    await page.locator("#input").press("Enter");
                }
                said++;
            };
            const m = await measure(pid, talk);
            rows.push(`| ${users} | ${m.rssMiB.toFixed(0)} | ${m.cpuMilli.toFixed(1)} |`);
            console.error(`bench:web: ${users} users: ${m.rssMiB.toFixed(0)} MiB, ${m.cpuMilli.toFixed(1)} millicores`);
        }
    } finally {
        await browser.close();
        await lounge.stop();
        linker.close();
        await net.stop();
    }
    console.log(`The Lounge (web/, Node.js 22), ${seconds} s at each count, each user a line every 10 s in one channel:\n`);
    console.log("| users | peak resident MiB | CPU millicores (mean) |\n|---|---|---|");
    console.log(rows.join("\n"));
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
