// configs/reloader.sh for real: a real shell runs it against a real process named
// catbox, while the test updates a Secret volume the way kubelet does. It runs
// under the system's sh and, where installed (CI installs it), under busybox:
// the pod's reloader image is busybox.
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { reloaderScriptPath } from "../components/ircNetwork";

const poll = 0.2; // seconds between the reloader's looks

/** A Secret volume as kubelet lays it out: ..data -> ..<timestamp>/, each file a link through ..data. */
class SecretVolume {
    private generation = 0;
    constructor(readonly dir: string) {
        mkdirSync(dir, { recursive: true });
        this.update({ "catbox-0.conf": "motd = one\n" });
        symlinkSync("..data/catbox-0.conf", path.join(dir, "catbox-0.conf"));
    }

    /** kubelet's atomic update: new timestamped dir, ..data_tmp link to it, rename over ..data. */
    update(files: Record<string, string>) {
        const old = existsSync(path.join(this.dir, "..data")) ? path.join(this.dir, `..gen_${this.generation}`) : undefined;
        this.generation++;
        const tsDir = `..gen_${this.generation}`;
        mkdirSync(path.join(this.dir, tsDir));
        for (const [name, text] of Object.entries(files)) writeFileSync(path.join(this.dir, tsDir, name), text);
        symlinkSync(tsDir, path.join(this.dir, "..data_tmp"));
        renameSync(path.join(this.dir, "..data_tmp"), path.join(this.dir, "..data"));
        if (old) rmSync(old, { recursive: true });
    }
}

const busybox = spawnSync("busybox", ["true"]).status === 0;
const shells: [string, string[], boolean][] = [
    ["sh", ["sh"], true],
    ["busybox sh", ["busybox", "sh"], busybox],
];

for (const [shellName, shell, available] of shells) describe(`the reloader script, under ${shellName}`, { skip: available ? false : `${shellName} is not installed (apt-get install busybox)` }, () => {
    let work: string;
    let volume: SecretVolume;
    let signals: string;
    let catboxBin: string;
    let reloader: ChildProcess;
    let reloaderLog = "";
    const targets: ChildProcess[] = [];

    /** Start a process whose name (comm) is catbox and that records its SIGHUPs. */
    async function startCatbox(): Promise<ChildProcess> {
        const p = spawn(catboxBin, [path.join(__dirname, "fixtures", "signal-recorder.js"), signals], { stdio: "ignore" });
        targets.push(p);
        for (let i = 0; i < 50 && !readLog().includes(`START ${p.pid}`); i++) await sleep(50);
        assert.equal(readFileSync(`/proc/${p.pid}/comm`, "utf8").trim(), "catbox");
        return p;
    }
    const readLog = () => (existsSync(signals) ? readFileSync(signals, "utf8") : "");
    const hups = (pid?: number) => readLog().split("\n").filter((l) => l.startsWith("HUP ") && (pid === undefined || l === `HUP ${pid}`)).length;

    /** Wait until `n` SIGHUPs have arrived, then long enough for any extra one to show. */
    async function settle(n: number) {
        for (let i = 0; i < 100 && hups() < n; i++) await sleep(50);
        await sleep(poll * 1000 * 4);
    }

    before(async () => {
        work = mkdtempSync(path.join(tmpdir(), "catbox-reloader-"));
        volume = new SecretVolume(path.join(work, "etc-catbox"));
        signals = path.join(work, "signals.log");
        mkdirSync(path.join(work, "bin"));
        catboxBin = path.join(work, "bin", "catbox");
        // A link named catbox to node: the kernel names the process after the link.
        symlinkSync(process.execPath, catboxBin);
        await startCatbox();
        reloader = spawn(shell[0], [...shell.slice(1), reloaderScriptPath], {
            env: { PATH: process.env.PATH, CONFIG_DIR: volume.dir, TARGET_NAME: "catbox", POLL_SECONDS: String(poll) },
            stdio: ["ignore", "pipe", "pipe"],
        });
        reloader.stdout!.on("data", (d) => (reloaderLog += d));
        reloader.stderr!.on("data", (d) => (reloaderLog += d));
        for (let i = 0; i < 50 && !reloaderLog.includes("watching"); i++) await sleep(50);
    });

    after(() => {
        reloader?.kill("SIGTERM");
        for (const t of targets) t.kill("SIGKILL");
        rmSync(work, { recursive: true, force: true });
    });

    it("sends nothing while the Secret does not change", async () => {
        assert.match(reloaderLog, /watching .*\.\.data/);
        await sleep(poll * 1000 * 5);
        assert.equal(hups(), 0);
    });

    it("sends exactly one SIGHUP per update", async () => {
        volume.update({ "catbox-0.conf": "motd = two\n" });
        await settle(1);
        assert.equal(hups(), 1);
        volume.update({ "catbox-0.conf": "motd = three\n" });
        await settle(2);
        volume.update({ "catbox-0.conf": "motd = four\n" });
        await settle(3);
        assert.equal(hups(), 3);
        assert.equal((reloaderLog.match(/sent SIGHUP to catbox/g) ?? []).length, 3, reloaderLog);
    });

    it("keeps working when catbox restarts: signals the new process, once", async () => {
        const [first] = targets;
        first.kill("SIGKILL");
        await new Promise((resolve) => first.once("exit", resolve));
        // An update while catbox is down: the new process reads the new files at start.
        volume.update({ "catbox-0.conf": "motd = five\n" });
        await sleep(poll * 1000 * 4);
        assert.match(reloaderLog, /no catbox process running/);
        const second = await startCatbox();
        await sleep(poll * 1000 * 4);
        assert.equal(hups(second.pid), 0, "nothing to reload: it started with the new files");
        volume.update({ "catbox-0.conf": "motd = six\n" });
        await settle(4);
        assert.equal(hups(second.pid), 1);
        assert.equal(hups(), 4);
    });

    it("stops cleanly on SIGTERM", async () => {
        reloader.kill("SIGTERM");
        const code = await new Promise((resolve) => reloader.once("exit", (c) => resolve(c)));
        assert.equal(code, 0);
        assert.match(reloaderLog, /stopping/);
    });
});
