// configs/web-metrics.sh for real: busybox httpd runs it as CGI, as in the web
// client's pod, while real sockets stand for The Lounge (listening, browsers
// connected to it) and its connections to the network. Its text is read back
// with a Prometheus text-format parser.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { webMetricsPath, webMetricsScriptPath } from "../../components/web/webClient";
import { skipUnlessRequired } from "../../harness/neverSkip";
import { freePorts } from "../../harness/realCatbox/localNetwork";
import { waitUntil } from "../../harness/waitUntil";
import { parseExposition, sample } from "../support/exposition";

const skip = skipUnlessRequired(
    "the web client's metrics test",
    spawnSync("busybox", ["true"]).status === 0 ? undefined : "no busybox (apt-get install busybox)",
);

/** A TCP server on `host`:`port` that holds every connection it takes. */
function holder(host: string, port: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
        const server = net.createServer(() => undefined);
        server.once("error", reject).listen(port, host, () => resolve(server));
    });
}
const connect = (host: string, port: number) =>
    new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(port, host, () => resolve(s));
        s.once("error", reject);
    });

describe("the web client's metrics (configs/web-metrics.sh under busybox httpd)", () => {
    let work: string;
    let httpd: ChildProcess;
    let url: string;
    const servers: net.Server[] = [];
    const sockets: net.Socket[] = [];
    // The network's client Service and The Lounge's port: loopback addresses and ports of this run only.
    const ircAddress = `127.${(process.pid % 200) + 20}.7.1`;
    let ircPort: number;
    let webPort: number;

    before(async () => {
        if (skip) return;
        [ircPort, webPort] = await freePorts(2);
        const [metricsPort] = await freePorts(1);
        work = mkdtempSync(path.join(tmpdir(), "web-metrics-"));
        mkdirSync(path.join(work, "cgi-bin"));
        symlinkSync(webMetricsScriptPath, path.join(work, "cgi-bin", "metrics"));
        httpd = spawn("busybox", ["httpd", "-f", "-p", `127.0.0.1:${metricsPort}`, "-h", work], {
            env: { PATH: process.env.PATH, IRC_ADDRESS: ircAddress, IRC_PORT: String(ircPort), WEB_PORT: String(webPort) },
            stdio: "ignore",
        });
        url = `http://127.0.0.1:${metricsPort}${webMetricsPath}`;
        await waitUntil("busybox httpd to serve the metrics", async () => (await fetch(url).catch(() => undefined))?.ok === true, {
            timeoutMs: 10_000,
        });
    });
    after(() => {
        for (const s of sockets) s.destroy();
        for (const s of servers) s.close();
        httpd?.kill();
        if (work) rmSync(work, { recursive: true, force: true });
    });

    const read = async () => {
        const response = await fetch(url);
        assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
        const families = parseExposition(await response.text());
        return Object.fromEntries(
            ["catbox_web_up", "catbox_web_users", "catbox_web_browser_connections"].map((name) => [name, sample(families, name)]),
        );
    };

    it("down, with nobody, while nothing listens on The Lounge's port", { skip }, async () => {
        assert.deepEqual(await read(), { catbox_web_up: 0, catbox_web_users: 0, catbox_web_browser_connections: 0 });
    });

    it("counts The Lounge's connections to the network as users, and browsers' to it, once it listens", { skip }, async () => {
        servers.push(await holder(ircAddress, ircPort), await holder("127.0.0.1", webPort));
        for (let i = 0; i < 3; i++) sockets.push(await connect(ircAddress, ircPort));
        for (let i = 0; i < 2; i++) sockets.push(await connect("127.0.0.1", webPort));
        // A connection to the same port elsewhere is not the network's.
        servers.push(await holder("127.0.0.1", ircPort));
        sockets.push(await connect("127.0.0.1", ircPort));
        assert.deepEqual(await read(), { catbox_web_up: 1, catbox_web_users: 3, catbox_web_browser_connections: 2 });
        sockets.shift()!.destroy();
        await waitUntil("a closed user to leave the count", async () => (await read()).catbox_web_users === 2, { timeoutMs: 5000 });
    });
});
