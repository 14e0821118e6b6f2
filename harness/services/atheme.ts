// IRC services as their pod runs them: Debian's atheme-services (the package
// services/Dockerfile installs, at the version it pins) with the atheme.conf
// the stack renders, its uplinks rewritten to the loopback daemons as the
// daemons' own files are (each link Service's name to its daemon's address).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { athemeDatabase } from "../../components/services/atheme";

export const athemeBinary = "atheme-services";
export const howToInstallAtheme = "apt-get install atheme-services (Debian's; .ci/run installs it)";

/** Why atheme cannot run here; undefined where it can. */
export function athemeMissing(): string | undefined {
    return spawnSync(athemeBinary, ["-v"]).status === 0 ? undefined : `no ${athemeBinary}: ${howToInstallAtheme}`;
}

/** The rendered atheme.conf with daemon n's uplink (its link Service's name) where `at(n)` says it listens here. */
export function athemeConfForLoopback(conf: string, linkHosts: string[], at: (n: number) => { host: string; port: number }): string {
    return conf.replace(/(\thost = ")([^"]+)(";\n\tport = )(\d+);/g, (whole, before, host: string, middle) => {
        const n = linkHosts.indexOf(host);
        if (n < 0) return whole;
        const daemon = at(n);
        return `${before}${daemon.host}${middle}${daemon.port};`;
    });
}

export class Atheme {
    readonly work: string;
    readonly dataDir: string;
    private process?: ChildProcess;
    private output = "";

    constructor(
        private conf: string,
        work?: string,
    ) {
        this.work = work ?? mkdtempSync(path.join(tmpdir(), "atheme-"));
        this.dataDir = path.join(this.work, "data");
        mkdirSync(this.dataDir, { recursive: true });
    }

    get database(): string {
        return path.join(this.dataDir, athemeDatabase);
    }

    start(): void {
        const confFile = path.join(this.work, "atheme.conf");
        writeFileSync(confFile, this.conf);
        const p = spawn(athemeBinary, ["-n", "-c", confFile, "-D", this.dataDir, "-p", path.join(this.work, "atheme.pid"), "-l", "/dev/null"], {
            stdio: ["ignore", "pipe", "pipe"],
        });
        p.stdout!.on("data", (d) => (this.output += d));
        p.stderr!.on("data", (d) => (this.output += d));
        this.process = p;
    }

    log(): string {
        return this.output;
    }

    /** Stop it as kubelet does (SIGTERM: atheme saves its database and quits); resolves once it has exited. */
    async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
        const p = this.process;
        if (!p || p.exitCode !== null || p.signalCode !== null) return;
        const exited = new Promise((resolve) => p.once("exit", resolve));
        p.kill(signal);
        await exited;
    }

    remove(): void {
        rmSync(this.work, { recursive: true, force: true });
    }
}
