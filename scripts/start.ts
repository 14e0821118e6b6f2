// npm start [-- <stack>]: the stack's network on this machine, before any cloud.
// The stack (dev unless named) is rendered offline as `pulumi up` would, its
// config checked the same way; each daemon runs the real catbox on its own
// files, on ports of 127.0.0.1 (no root, no namespaces: Linux and macOS alike),
// linked as on the cluster; the prober runs beside them where the stack has one.
// An edit of the stack file is reloaded as on the cluster (the files rewritten,
// then SIGHUP); Ctrl-C stops every process it started.
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, openSync, renameSync, rmSync, watchFile, unwatchFile, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
    configDir,
    containerLinkPort,
    containerTlsPort,
    files as fileNames,
    issuedTlsDir,
    issuedTlsFiles,
    serverName,
} from "../components/catbox/names";
import { ConfigError, parseConfig, rawConfigOf } from "../components/config/parse";
import type { CatboxConfig } from "../components/config/types";
import { proberNickPrefix } from "../components/observability/prober";
import { readStackFile, renderStack } from "../harness/offline/stack";
import { catboxBinary, howToEnable } from "../harness/realCatbox/binary";
import { IrcClient } from "../harness/realCatbox/ircClient";
import { selfSignedPair, type TlsPair } from "../harness/realCatbox/tlsPair";
import { waitUntil } from "../harness/waitUntil";
import { startProber } from "../prober/main";

const root = path.join(__dirname, "..");
const host = "127.0.0.1";

/** Where daemon n listens on this machine: its link (plaintext) port and its TLS port. */
export interface LocalPorts {
    link: number[];
    tls: number[];
}

/** The stack's config checked as `pulumi up` checks it: its one message (a ConfigError's or the CLI's) on failure. */
export function checkedStack(stack: string): CatboxConfig {
    const file = readStackFile(stack);
    const secretKeys = new Set(file.secretKeys.map((k) => k.replace(/^catbox-gke:/, "")));
    return parseConfig(rawConfigOf(file.config, secretKeys, stack));
}

/**
 * The rendered files for this machine: what a pod gets from Kubernetes put in
 * by hand. The mount paths become `dir`; each per-pod Service (DNS name and
 * link port) becomes 127.0.0.1 and that daemon's own link port; each daemon
 * listens on 127.0.0.1 at its own ports; the TLS pair is `pair` (one for these
 * names, which a client can check).
 */
export function forThisMachine(
    files: Record<string, string>,
    cfg: CatboxConfig,
    ports: LocalPorts,
    dir: string,
    pair: TlsPair,
): Record<string, string> {
    const linkHostRe = new RegExp(
        `^(\\S+ = )${cfg.networkName}-(\\d+)\\.${cfg.namespace}\\.svc\\.${cfg.clusterDomain.replace(/\./g, "\\.")},${cfg.linkPort},`,
        "gm",
    );
    const out: Record<string, string> = {};
    for (const [name, text] of Object.entries(files)) {
        let t = text.split(`${configDir}/`).join(`${dir}/`).split(`${issuedTlsDir}/`).join(`${dir}/`);
        t = t.replace(linkHostRe, (_, key: string, m: string) => `${key}${host},${ports.link[Number(m)]},`);
        const daemon = new RegExp(`^${cfg.networkName}-(\\d+)\\.conf$`).exec(name);
        if (daemon) {
            const n = Number(daemon[1]);
            t = t
                .replace(/^listen-host = .*$/m, `listen-host = ${host}`)
                .replace(new RegExp(`^listen-port = ${containerLinkPort}$`, "m"), `listen-port = ${ports.link[n]}`)
                .replace(new RegExp(`^listen-port-tls = ${containerTlsPort}$`, "m"), `listen-port-tls = ${ports.tls[n]}`);
        }
        out[name] = t;
    }
    out[fileNames.certificate] = pair.certificatePem;
    out[fileNames.key] = pair.keyPem;
    // With letsEncrypt, catbox reads the issued pair's files: here they are this pair too.
    if (cfg.tlsMode === "letsEncrypt") Object.assign(out, { [issuedTlsFiles.certificate]: pair.certificatePem, [issuedTlsFiles.key]: pair.keyPem });
    return out;
}

/** Write each file whole (a reader never sees half of one), as kubelet swaps a volume. */
function writeAll(dir: string, files: Record<string, string>) {
    for (const [name, text] of Object.entries(files)) {
        const file = path.join(dir, name);
        writeFileSync(`${file}.new`, text, { mode: 0o600 });
        renameSync(`${file}.new`, file);
    }
}

/** `count` ports no one listens on now, on 127.0.0.1. */
async function freePorts(count: number): Promise<number[]> {
    const servers = await Promise.all(
        Array.from(
            { length: count },
            () =>
                new Promise<net.Server>((resolve, reject) =>
                    net
                        .createServer()
                        .once("error", reject)
                        .listen(0, host, function (this: net.Server) {
                            resolve(this);
                        }),
                ),
        ),
    );
    const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    return ports;
}

const answers = (port: number) =>
    new Promise<boolean>((resolve) => {
        const socket = net.connect(port, host);
        socket.once("connect", () => (socket.destroy(), resolve(true)));
        socket.once("error", () => resolve(false));
    });

export interface LocalNetworkRun {
    servers: string[];
    ports: LocalPorts;
    pids: number[];
    caFile: string;
    metricsUrl?: string;
    stop(): Promise<void>;
}

/** Start the stack's network here; resolves once every daemon answers on both ports. */
export async function startLocal(stack: string, log: (line: string) => void = console.log): Promise<LocalNetworkRun> {
    const cfg = checkedStack(stack);
    const bin = catboxBinary(cfg.catboxVersion);
    if ("skip" in bin) throw new Error(`no catbox to run: ${bin.skip}; ${howToEnable}`);
    const servers = Array.from({ length: cfg.replicas }, (_, n) => serverName(cfg.serverNamePattern, n, cfg.serverNames));
    const free = await freePorts(2 * cfg.replicas);
    const ports: LocalPorts = { link: free.slice(0, cfg.replicas), tls: free.slice(cfg.replicas) };
    const dir = mkdtempSync(path.join(tmpdir(), `catbox-gke-${stack}-`));
    const pair = selfSignedPair([...servers, "localhost", host], 30);
    const caFile = path.join(dir, "ca.pem");
    writeFileSync(caFile, pair.certificatePem);
    const render = async () => {
        const now = checkedStack(stack);
        // Each daemon has its ports from the start: another count of daemons is another network.
        if (now.replicas !== cfg.replicas) throw new Error("replicas changed: each daemon has its ports from the start, so stop and npm start again");
        return forThisMachine((await renderStack(stack)).files, now, ports, dir, pair);
    };
    writeAll(dir, await render());

    const daemons: ChildProcess[] = servers.map((_, n) => {
        const out = openSync(path.join(dir, `catbox-${n}.log`), "a");
        return spawn(bin.path, ["-conf", path.join(dir, fileNames.catboxConf(cfg.networkName, n))], { stdio: ["ignore", out, out] });
    });
    const stopDaemons = async () => {
        for (const d of daemons) if (d.exitCode === null) d.kill("SIGTERM");
        await waitUntil("every catbox to exit", () => daemons.every((d) => d.exitCode !== null || d.signalCode !== null), { timeoutMs: 10_000 });
    };
    try {
        for (const [n, d] of daemons.entries()) {
            for (const port of [ports.link[n], ports.tls[n]]) {
                await waitUntil(
                    `catbox ${n} on ${host}:${port}`,
                    async () => {
                        if (d.exitCode !== null) throw new Error(`catbox ${n} exited (${d.exitCode}): see ${path.join(dir, `catbox-${n}.log`)}`);
                        return answers(port);
                    },
                    { timeoutMs: 20_000 },
                );
            }
        }
        // Linked as on the cluster: one daemon sees every server.
        const probe = await IrcClient.connect({ host, port: ports.link[0], nick: "starting", timeoutMs: 20_000 });
        try {
            await waitUntil(`the ${servers.length} daemons to link`, async () => (await probe.links()).length >= servers.length, {
                timeoutMs: 30_000,
            });
        } finally {
            probe.close();
        }
    } catch (e) {
        await stopDaemons();
        throw e;
    }

    // The prober, where the stack has one (platform gke always; kubeconfig with proberImage).
    const prober =
        cfg.platform === "gke" || cfg.proberImage !== undefined
            ? await startProber({
                  targets: servers.map((server, n) => ({ server, host, port: ports.link[n], tlsHost: host, tlsPort: ports.tls[n] })),
                  intervalSeconds: 10,
                  nickPrefix: proberNickPrefix(cfg.regionNumber),
                  port: 0,
                  ca: pair.certificatePem,
              })
            : undefined;

    // An edit of the stack file: checked, rendered, swapped in, then every daemon rehashes.
    const stackFile = path.join(root, `Pulumi.${stack}.yaml`);
    let reloading = Promise.resolve();
    const reload = () => {
        reloading = reloading.then(async () => {
            try {
                writeAll(dir, await render());
                for (const d of daemons) d.kill("SIGHUP");
                log(`reloaded ${path.basename(stackFile)}: every daemon rehashed (keys catbox reads only at start need npm start again)`);
            } catch (e) {
                log(`not reloaded: ${e instanceof ConfigError ? e.message : (e as Error).message}`);
            }
        });
    };
    watchFile(stackFile, { interval: 300 }, reload);

    return {
        servers,
        ports,
        pids: daemons.map((d) => d.pid!),
        caFile,
        metricsUrl: prober ? `http://${host}:${prober.port}/metrics` : undefined,
        stop: async () => {
            unwatchFile(stackFile, reload);
            await reloading;
            await prober?.stop();
            await stopDaemons();
            rmSync(dir, { recursive: true, force: true });
        },
    };
}

if (require.main === module) {
    const stack = process.argv[2] ?? "dev";
    startLocal(stack).then(
        (run) => {
            console.log(`catbox-gke: stack ${stack}, ${run.servers.length} daemon(s) linked on this machine`);
            run.servers.forEach((s, n) => console.log(`  ${s}  irc://${host}:${run.ports.link[n]}  ircs://${host}:${run.ports.tls[n]}`));
            console.log(`TLS: a pair made here for these names; check it with ${run.caFile}`);
            console.log(`  irssi: /connect -tls -tls_cafile ${run.caFile} ${host} ${run.ports.tls[0]}`);
            if (run.metricsUrl) console.log(`prober: ${run.metricsUrl}`);
            console.log(`Edit Pulumi.${stack}.yaml: a change is reloaded as on the cluster. Ctrl-C stops everything.`);
            console.log(`pids: ${run.pids.join(" ")}`);
            let stopping = false;
            const quit = () => {
                if (stopping) return;
                stopping = true;
                run.stop().then(
                    () => process.exit(0),
                    (e: Error) => (console.error(e.message), process.exit(1)),
                );
            };
            process.on("SIGINT", quit);
            process.on("SIGTERM", quit);
        },
        (e: Error) => {
            // Bad config fails as `up` would: the same one message, nothing started.
            console.error(e.message);
            process.exit(1);
        },
    );
}
