// The network on loopback, as close to its pods as one machine gets: each daemon
// is a "pod" (its own PID namespace, as with shareProcessNamespace, holding
// catbox and, if asked, configs/reloader.sh), all pods read one Secret volume
// laid out the way kubelet lays it out, and each pod has its own address.
// Only what a pod gets from Kubernetes is rewritten in the rendered files: the
// mount path, each per-pod Service (DNS name and port -> that pod's address and
// container port) and the pod's own address to listen on.
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type * as tls from "node:tls";
import { reloaderScriptPath } from "../../components/network/ircNetwork";
import {
    catboxProcessName,
    configDir,
    containerLinkPort,
    containerTlsPort,
    files as fileNames,
    issuedTlsDir,
    issuedTlsFiles,
    linkHost,
} from "../../components/catbox/names";
import { waitUntil } from "../waitUntil";
import { IrcClient } from "./ircClient";
import { SecretVolume } from "./secretVolume";
import type { TlsPair } from "./tlsPair";

/** 20 to 219: a loopback /16 of this process's own (see LocalNetwork's address). */
const runOctet = 20 + (process.pid % 200);

/** A kubernetes.io/tls Secret's files. */
function tlsFiles(pair: TlsPair): Record<string, string> {
    return { [issuedTlsFiles.certificate]: pair.certificatePem, [issuedTlsFiles.key]: pair.keyPem };
}

export interface NetworkShape {
    networkName: string;
    namespace: string;
    clusterDomain: string;
    linkPort: number;
}

/** The shape of a stack's network, from its config as readStackFile gives it. */
export function shapeOf(config: Record<string, string>): NetworkShape {
    return {
        networkName: config["catbox-gke:networkName"],
        namespace: config["catbox-gke:namespace"],
        clusterDomain: config["catbox-gke:clusterDomain"],
        linkPort: Number(config["catbox-gke:linkPort"]),
    };
}

/** Where the files go on this machine, and where each daemon listens (and the others reach it). */
export interface MachinePlacement {
    /** The Secret volume's directory, and the issued pair's (tlsMode letsEncrypt) where it has one. */
    volume: string;
    tlsVolume?: string;
    daemon(n: number): { host: string; linkPort: number; tlsPort: number };
}

/**
 * The rendered files with what a pod gets from Kubernetes put in by hand: the
 * mount paths, each per-pod Service (DNS name and link port -> daemon m's host
 * and link port) and each daemon's own host and ports to listen on.
 */
export function placeFiles(files: Record<string, string>, s: NetworkShape, p: MachinePlacement): Record<string, string> {
    const linkHostRe = new RegExp(
        `^(\\S+ = )(${s.networkName}-(\\d+)\\.${s.namespace}\\.svc\\.${s.clusterDomain.replace(/\./g, "\\.")}),${s.linkPort},`,
        "gm",
    );
    const out: Record<string, string> = {};
    for (const [name, text] of Object.entries(files)) {
        let t = text.split(`${configDir}/`).join(`${p.volume}/`);
        if (p.tlsVolume) t = t.split(`${issuedTlsDir}/`).join(`${p.tlsVolume}/`);
        t = t.replace(linkHostRe, (whole, key: string, host: string, m: string) => {
            if (host !== linkHost(s.networkName, s.namespace, s.clusterDomain, Number(m))) return whole;
            const peer = p.daemon(Number(m));
            return `${key}${peer.host},${peer.linkPort},`;
        });
        const pod = /^(.+)-(\d+)\.conf$/.exec(name);
        if (pod && pod[1] === s.networkName) {
            const own = p.daemon(Number(pod[2]));
            t = t
                .replace(/^listen-host = 0\.0\.0\.0$/m, `listen-host = ${own.host}`)
                .replace(new RegExp(`^listen-port = ${containerLinkPort}$`, "m"), `listen-port = ${own.linkPort}`)
                .replace(new RegExp(`^listen-port-tls = ${containerTlsPort}$`, "m"), `listen-port-tls = ${own.tlsPort}`);
        }
        out[name] = t;
    }
    return out;
}

export interface LocalNetworkOptions {
    /** The catbox binary, named catbox. */
    binary: string;
    shape: NetworkShape;
    /** The Secret's data, as rendered. */
    files: Record<string, string>;
    /**
     * Daemon n listens on 127.<run>.<block>.<n+1>: one block per network, so networks
     * never meet, and <run> from this process's PID, so that two runs of the tests
     * on one machine do not either.
     */
    block: number;
    /** Run configs/reloader.sh in each pod, under this shell (the pod's is busybox sh). */
    reloaderShell?: string[];
    /** More of the reloader's environment (POLL_SECONDS, HEALTH_SECONDS …); its defaults where unset. */
    reloaderEnv?: Record<string, string>;
    /** More of catbox's environment (GOMEMLIMIT …). */
    catboxEnv?: Record<string, string>;
    /** With tlsMode letsEncrypt: the pair in the issued certificate's Secret, mounted beside the config. */
    issuedTls?: TlsPair;
    /** The cgroup.procs files catbox joins in pod n before it starts: the catbox container's limits (see cgroup.ts). */
    catboxCgroup?: (n: number) => string[];
    /**
     * An /etc/hosts of the pods' own, bind-mounted in each pod's mount namespace:
     * public names (another region's hubs) resolved to loopback addresses.
     */
    hostsFile?: string;
}

/** How a pod's PID namespace is made here, if it can be: unshare as root, else in a user namespace. */
const podLaunchers = [
    ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"],
    ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "--kill-child"],
];
let launcher: string[] | null | undefined;
export function podLauncher(): string[] | null {
    if (launcher === undefined) {
        launcher = podLaunchers.find((l) => spawnSync(l[0], [...l.slice(1), "true"]).status === 0) ?? null;
    }
    return launcher;
}

/**
 * Lines of a catbox log that say its config was refused. Not catbox's notice of
 * a message it had to cut on sending ("Trying to send invalid message … message
 * truncated"): catbox's NAMES reply can overrun 512 bytes by the '@' of the
 * channel operator's nick when Go's map order puts it last on a line (it counts
 * the nick without its '@'), which is catbox's own, not a config problem.
 */
export const configErrorRe =
    /configuration problem|error loading certificate|unable to (load|parse|read)|invalid(?! message to client)|malformed|you must/i;

const live = new Set<ChildProcess>();
// Whatever happens to the test, no pod outlives the process that started it.
process.on("exit", () => {
    for (const p of live) p.kill("SIGKILL");
});

interface Pod {
    process: ChildProcess;
    log: string;
    reloaderLog: string;
}

export class LocalNetwork {
    readonly work: string;
    /** The Secret volume every pod mounts. */
    readonly volume: string;
    private readonly secretVolume: SecretVolume;
    /** The issued certificate's Secret volume, with tlsMode letsEncrypt. */
    private readonly tlsVolume?: SecretVolume;
    private readonly pods = new Map<number, Pod>();
    private readonly clients: IrcClient[] = [];

    constructor(readonly opts: LocalNetworkOptions) {
        this.work = mkdtempSync(path.join(tmpdir(), "catbox-net-"));
        this.volume = path.join(this.work, "etc-catbox");
        // The certificate's volume first: the config's files are rewritten to point into it.
        if (opts.issuedTls) this.tlsVolume = new SecretVolume(path.join(this.work, "etc-catbox-tls"), tlsFiles(opts.issuedTls));
        this.secretVolume = new SecretVolume(this.volume, this.forLoopback(opts.files));
    }

    address(n: number): string {
        return `127.${runOctet}.${this.opts.block}.${n + 1}`;
    }

    /** The rendered files, with what Kubernetes would give a pod put in by hand: each pod's own address. */
    forLoopback(files: Record<string, string>): Record<string, string> {
        return placeFiles(files, this.opts.shape, {
            volume: this.volume,
            tlsVolume: this.tlsVolume?.dir,
            daemon: (n) => ({ host: this.address(n), linkPort: containerLinkPort, tlsPort: containerTlsPort }),
        });
    }

    /** kubelet's update of the Secret volume every pod mounts, with these rendered files. */
    swap(files: Record<string, string>) {
        this.secretVolume.update(this.forLoopback(files));
    }

    /** kubelet's update of the issued certificate's volume, as when cert-manager renews. */
    swapIssuedTls(pair: TlsPair) {
        if (!this.tlsVolume) throw new Error("this network has no issued certificate volume");
        this.tlsVolume.update(tlsFiles(pair));
    }

    /** Start daemon n's pod; resolves once catbox answers on both its ports. */
    async start(n: number, timeoutMs = 10_000): Promise<void> {
        const conf = path.join(this.volume, fileNames.catboxConf(this.opts.shape.networkName, n));
        const log = path.join(this.work, `catbox-${n}.log`);
        const reloaderLog = path.join(this.work, `reloader-${n}.log`);
        const env: Record<string, string> = {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            CATBOX: this.opts.binary,
            CONF: conf,
            LOG: log,
            RLOG: reloaderLog,
            CONFIG_DIR: [this.volume, ...(this.tlsVolume ? [this.tlsVolume.dir] : [])].join(" "),
            TARGET_NAME: catboxProcessName,
            // The pod's own address, and a state directory of its own (an emptyDir in the pod).
            HEALTH_HOST: this.address(n),
            STATE_DIR: path.join(this.work, `state-${n}`),
            POD_NAME: `${this.opts.shape.networkName}-${n}`,
        };
        Object.assign(env, this.opts.reloaderEnv, this.opts.catboxEnv);
        if (this.opts.catboxCgroup) env.CGROUP_PROCS = this.opts.catboxCgroup(n).join(" ");
        if (this.opts.hostsFile) env.HOSTS_FILE = this.opts.hostsFile;
        const shell = this.opts.reloaderShell ?? ["sh"];
        const imageBin = this.imageBin();
        const reloader = this.opts.reloaderShell
            ? `${imageBin ? `PATH="${imageBin}:$PATH" ` : ""}${shell.join(" ")} ${reloaderScriptPath} >"$RLOG" 2>&1 &`
            : "";
        // The pod: catbox, restarted when it exits as kubelet restarts a container
        // (in its container's cgroup, if it has one: joined before exec, so that
        // catbox is inside from its first allocation), and its reloader, with a
        // shell as the namespace's init.
        const catbox = this.opts.catboxCgroup
            ? `sh -c 'for f in $CGROUP_PROCS; do echo $$ >"$f" || exit 1; done; exec "$CATBOX" -conf "$CONF"'`
            : `"$CATBOX" -conf "$CONF"`;
        // A pod's own /etc/hosts: unshare gave it a mount namespace of its own (private).
        const hosts = this.opts.hostsFile ? `mount --bind "$HOSTS_FILE" /etc/hosts || exit 1; ` : "";
        const podScript = `${hosts}while :; do ${catbox} >>"$LOG" 2>&1; sleep 1; done & ${reloader} wait`;
        const pod = podLauncher();
        if (!pod && this.opts.reloaderShell) throw new Error("a pod with a reloader needs a PID namespace (unshare)");
        if (!pod && this.opts.hostsFile) throw new Error("a pod with its own /etc/hosts needs a mount namespace (unshare)");
        const argv = pod ? [...pod, ...shell, "-c", podScript] : [...shell, "-c", podScript];
        const p = spawn(argv[0], argv.slice(1), { env, stdio: "ignore", detached: !pod });
        live.add(p);
        p.once("exit", () => live.delete(p));
        this.pods.set(n, { process: p, log, reloaderLog });
        for (const port of [containerLinkPort, containerTlsPort]) {
            await waitUntil(
                `catbox ${n} to listen on ${this.address(n)}:${port}`,
                async () => {
                    if (p.exitCode !== null) throw new Error(`pod ${n} exited (${p.exitCode}) before catbox listened on ${port}:\n${this.log(n)}`);
                    return canConnect(this.address(n), port);
                },
                { timeoutMs, everyMs: 50, detail: () => this.log(n) },
            );
        }
    }

    /**
     * With busybox as the reloader's shell, its image's commands too (nc, timeout,
     * grep, …): a folder of busybox's applets, first on the pod's PATH.
     */
    private imageBin(): string | undefined {
        if (this.opts.reloaderShell?.[0] !== "busybox") return undefined;
        const bin = path.join(this.work, "busybox-bin");
        if (!existsSync(bin)) {
            mkdirSync(bin);
            const r = spawnSync("busybox", ["--install", "-s", bin], { encoding: "utf8" });
            if (r.status !== 0) throw new Error(`busybox --install failed: ${r.stderr}`);
        }
        return bin;
    }

    /** catbox's PID on this machine (outside its pod's namespace). */
    catboxPid(n: number): number {
        const pod = this.pods.get(n);
        if (!pod?.process.pid) throw new Error(`no pod ${n}`);
        const pids = descendants(pod.process.pid).filter((pid) => comm(pid) === catboxProcessName);
        if (pids.length !== 1) throw new Error(`pod ${n} has ${pids.length} catbox processes`);
        return pids[0];
    }

    log(n: number): string {
        const file = this.pods.get(n)?.log;
        return file && existsSync(file) ? readFileSync(file, "utf8") : "";
    }

    /**
     * The SIGHUPs pod n's reloader has sent, once it has sent at least `atLeast`
     * or `timeoutMs` has passed: each pod's reloader looks on its own clock.
     */
    async sighups(n: number, atLeast = 0, timeoutMs = 5000): Promise<number> {
        const count = () => this.reloaderLog(n).split(`sent SIGHUP to ${catboxProcessName} `).length - 1;
        // Fewer than atLeast is an answer too: the caller's assertion says what it expected.
        await waitUntil(`${atLeast} SIGHUP(s) from pod ${n}'s reloader`, () => count() >= atLeast, { timeoutMs }).catch(() => undefined);
        return count();
    }

    /** Whether pod n's watchdog last found catbox answering (what its readiness probe looks at). */
    ready(n: number): boolean {
        return existsSync(path.join(this.work, `state-${n}`, "healthy"));
    }

    reloaderLog(n: number): string {
        const file = this.pods.get(n)?.reloaderLog;
        return file && existsSync(file) ? readFileSync(file, "utf8") : "";
    }

    /** Lines of any daemon's log that say a config was refused. */
    configErrors(): string[] {
        return [...this.pods.keys()].flatMap((n) =>
            this.log(n)
                .split("\n")
                .filter((l) => configErrorRe.test(l))
                .map((l) => `catbox ${n}: ${l}`),
        );
    }

    /** A client of daemon n: plain on the link port, or TLS on the client port. */
    async client(n: number, nick: string, tlsOptions?: tls.ConnectionOptions): Promise<IrcClient> {
        const c = await IrcClient.connect({
            host: this.address(n),
            port: tlsOptions ? containerTlsPort : containerLinkPort,
            nick,
            tls: tlsOptions,
        });
        this.clients.push(c);
        return c;
    }

    /** Poll LINKS on daemon `via` until it lists `expected` servers; the time it took, in ms. */
    async waitForLinks(via: IrcClient, expected: number, timeoutMs: number): Promise<number> {
        const start = Date.now();
        let seen: string[] = [];
        await waitUntil(`LINKS to list ${expected} servers`, async () => (seen = await via.links()).length >= expected, {
            timeoutMs,
            detail: () =>
                `LINKS listed ${seen.length}: ${seen.join(", ")}\n` + [...this.pods.keys()].map((n) => `--- catbox ${n}\n${this.log(n)}`).join("\n"),
        });
        return Date.now() - start;
    }

    /**
     * Daemon n as a TLS client `nick` finds it now: admitted (001), or refused as
     * banned (465, a K-line); any other failure is thrown.
     */
    async admits(n: number, nick: string, tlsOptions: tls.ConnectionOptions): Promise<"admitted" | "banned"> {
        try {
            const c = await IrcClient.connect({ host: this.address(n), port: containerTlsPort, nick, tls: tlsOptions });
            c.close();
            return "admitted";
        } catch (e) {
            if (/ 465 /.test(String(e))) return "banned";
            throw e;
        }
    }

    /** Kill catbox in pod n as a crash would; resolves once the pod has started a new one. */
    async crash(n: number, timeoutMs = 10_000): Promise<void> {
        const old = this.catboxPid(n);
        process.kill(old, "SIGKILL");
        await waitUntil(
            `a new catbox in pod ${n}`,
            () => {
                try {
                    return this.catboxPid(n) !== old;
                } catch {
                    return false; // between the kill and the restart
                }
            },
            { timeoutMs },
        );
    }

    /** Stop one pod: every process in it. */
    async stopPod(n: number) {
        const pod = this.pods.get(n);
        if (!pod) return;
        const p = pod.process;
        if (p.exitCode === null && p.signalCode === null) {
            const exited = new Promise((resolve) => p.once("exit", resolve));
            // With a PID namespace, killing unshare kills its init and so the whole pod.
            if (podLauncher()) p.kill("SIGKILL");
            else process.kill(-p.pid!, "SIGKILL");
            await exited;
        }
    }

    /** Stop every client and pod, and remove the files. */
    async stop() {
        for (const c of this.clients) c.close();
        for (const n of this.pods.keys()) await this.stopPod(n);
        rmSync(this.work, { recursive: true, force: true });
    }
}

/** Whether something accepts a TCP connection there now. */
export function canConnect(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const s = net.connect({ host, port });
        s.once("connect", () => {
            s.destroy();
            resolve(true);
        });
        s.once("error", () => resolve(false));
    });
}

function comm(pid: number): string {
    try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
        return "";
    }
}

/** Every process below `pid`, read from /proc. */
function descendants(pid: number): number[] {
    const parent = new Map<number, number>();
    for (const d of readdirSync("/proc")) {
        if (!/^\d+$/.test(d)) continue;
        try {
            const stat = readFileSync(`/proc/${d}/stat`, "utf8");
            parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
        } catch {
            // gone meanwhile
        }
    }
    const out: number[] = [];
    const todo = [pid];
    while (todo.length) {
        const p = todo.pop()!;
        for (const [child, pp] of parent) {
            if (pp === p) {
                out.push(child);
                todo.push(child);
            }
        }
    }
    return out;
}

/** `count` ports no one listens on now, on `host`. */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
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
