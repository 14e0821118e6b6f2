// npm start [-- <stack>]: the stack's network on this machine, before any cloud.
// The stack (dev unless named) is rendered offline as `pulumi up` would, its
// config checked the same way; each daemon runs the real catbox on its own
// files, on ports of 127.0.0.1 (no root, no namespaces: Linux and macOS alike),
// linked as on the cluster; the prober runs beside them where the stack has one.
// An edit of the stack file is reloaded as on the cluster (the files rewritten,
// then SIGHUP); Ctrl-C stops every process it started.
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, openSync, rmSync, watchFile, unwatchFile, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { files as fileNames, issuedTlsFiles, linkHost, serverName } from "../components/catbox/names";
import { ConfigError, parseConfig, rawConfigOf } from "../components/config/parse";
import type { CatboxConfig } from "../components/config/types";
import { proberNickPrefix } from "../components/observability/prober";
import { readStackFile, renderStack } from "../harness/offline/stack";
import { catboxBinary, howToEnable } from "../harness/realCatbox/binary";
import { IrcClient } from "../harness/realCatbox/ircClient";
import { canConnect, freePorts, placeFiles } from "../harness/realCatbox/localNetwork";
import { SecretVolume } from "../harness/realCatbox/secretVolume";
import { selfSignedPair, type TlsPair } from "../harness/realCatbox/tlsPair";
import { waitUntil } from "../harness/waitUntil";
import { startProber } from "../prober/main";
import { loungeSpecOf } from "../components/web/lounge";
import { Lounge, loungeMissing } from "../harness/web/lounge";
import { Atheme, athemeConfForLoopback, athemeMissing } from "../harness/services/atheme";

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
 * The rendered files for this machine: the volume at `volume`, each daemon on
 * 127.0.0.1 at its own ports (its peers reach it there), and the TLS pair
 * `pair` (one for these names, which a client can check; with letsEncrypt, in
 * the issued pair's files too).
 */
export function forThisMachine(
    files: Record<string, string>,
    cfg: CatboxConfig,
    ports: LocalPorts,
    volume: string,
    pair: TlsPair,
): Record<string, string> {
    const placed = placeFiles(files, cfg, { volume, tlsVolume: volume, daemon: (n) => ({ host, linkPort: ports.link[n], tlsPort: ports.tls[n] }) });
    placed[fileNames.certificate] = pair.certificatePem;
    placed[fileNames.key] = pair.keyPem;
    if (cfg.tlsMode === "letsEncrypt") {
        Object.assign(placed, { [issuedTlsFiles.certificate]: pair.certificatePem, [issuedTlsFiles.key]: pair.keyPem });
    }
    return placed;
}

export interface LocalNetworkRun {
    servers: string[];
    ports: LocalPorts;
    pids: number[];
    caFile: string;
    metricsUrl?: string;
    webUrl?: string;
    /** Whether IRC services run here. */
    services: boolean;
    stop(): Promise<void>;
}

/** Start the stack's network here; resolves once every daemon answers on both ports. */
export async function startLocal(stack: string, log: (line: string) => void = console.log): Promise<LocalNetworkRun> {
    const cfg = checkedStack(stack);
    const bin = catboxBinary(cfg.catboxVersion);
    if ("skip" in bin) throw new Error(`no catbox to run: ${bin.skip}; ${howToEnable}`);
    const servers = Array.from({ length: cfg.replicas }, (_, n) => serverName(cfg.serverNamePattern, n, cfg.serverNames));
    const free = await freePorts(2 * cfg.replicas, host);
    const ports: LocalPorts = { link: free.slice(0, cfg.replicas), tls: free.slice(cfg.replicas) };
    const dir = mkdtempSync(path.join(tmpdir(), `catbox-gke-${stack}-`));
    const pair = selfSignedPair([...servers, "localhost", host], 30);
    const caFile = path.join(dir, "ca.pem");
    writeFileSync(caFile, pair.certificatePem);
    const render = async () => {
        const now = checkedStack(stack);
        // Each daemon has its ports from the start: another count of daemons is another network.
        if (now.replicas !== cfg.replicas) throw new Error("replicas changed: each daemon has its ports from the start, so stop and npm start again");
        return forThisMachine((await renderStack(stack)).files, now, ports, volumeDir, pair);
    };
    // The files swapped whole, as kubelet swaps a Secret volume: a daemon never reads half of a change.
    const volumeDir = path.join(dir, "etc-catbox");
    const volume = new SecretVolume(volumeDir, await render());

    const daemons: ChildProcess[] = servers.map((_, n) => {
        const out = openSync(path.join(dir, `catbox-${n}.log`), "a");
        return spawn(bin.path, ["-conf", path.join(volumeDir, fileNames.catboxConf(cfg.networkName, n))], { stdio: ["ignore", out, out] });
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
                        return canConnect(host, port);
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

    // The web client, where the stack has one: plain HTTP here (as on kubeconfig), dialling daemon 0 over TLS.
    const web = cfg.webClient ? await startWebClient(cfg, ports.tls[0], pair, log) : undefined;
    // IRC services, where the stack runs them and atheme is installed: linked in to the daemons here.
    const services = cfg.services ? await startServices(stack, cfg, ports, log) : undefined;

    // An edit of the stack file: checked, rendered, swapped in, then every daemon rehashes.
    const stackFile = path.join(root, `Pulumi.${stack}.yaml`);
    let reloading = Promise.resolve();
    const reload = () => {
        reloading = reloading.then(async () => {
            try {
                volume.update(await render());
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
        webUrl: web?.url,
        services: services !== undefined,
        stop: async () => {
            unwatchFile(stackFile, reload);
            await reloading;
            await web?.stop();
            await services?.stop();
            services?.remove();
            await prober?.stop();
            await stopDaemons();
            rmSync(dir, { recursive: true, force: true });
        },
    };
}

/** The Lounge from web/, as npm ci installs it there; without it, a line saying so. */
async function startWebClient(cfg: CatboxConfig, tlsPort: number, pair: TlsPair, log: (line: string) => void): Promise<Lounge | undefined> {
    const missing = loungeMissing();
    if (missing) {
        log(`no web client: ${missing}`);
        return undefined;
    }
    const [port] = await freePorts(1, host);
    const lounge = new Lounge({ spec: { ...loungeSpecOf(cfg), ircHost: host, ircPort: tlsPort }, address: host, port, caPem: pair.certificatePem });
    await lounge.start();
    return lounge;
}

/** Debian's atheme with the stack's atheme.conf, each uplink at its daemon here; without atheme, a line saying so. */
async function startServices(stack: string, cfg: CatboxConfig, ports: LocalPorts, log: (line: string) => void): Promise<Atheme | undefined> {
    const missing = athemeMissing();
    if (missing) {
        log(`no services: ${missing}`);
        return undefined;
    }
    const { athemeConf } = await renderStack(stack);
    const linkHosts = Array.from({ length: cfg.replicas }, (_, n) => linkHost(cfg.networkName, cfg.namespace, cfg.clusterDomain, n));
    const atheme = new Atheme(athemeConfForLoopback(athemeConf!, linkHosts, (n) => ({ host, port: ports.link[n] })));
    atheme.start();
    return atheme;
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
            if (run.webUrl) console.log(`web client: ${run.webUrl}`);
            if (run.services) console.log("services: atheme, linking in to the daemons (/msg NickServ HELP)");
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
