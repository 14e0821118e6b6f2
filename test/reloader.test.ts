// configs/reloader.sh for real: a real shell runs it against a stand-in process
// that records its signals, while the test updates a Secret volume the way
// kubelet does. It runs under the system's sh and, where installed (CI installs
// it), under busybox: the pod's reloader image is busybox. The stand-in has a
// name of its own, so that this reloader (which scans all of /proc, as it does in
// its pod) never signals a real catbox of another test; test/realCatboxPods.test.ts
// runs the reloader against the real catbox, in a PID namespace of its own.
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { reloaderScriptPath } from "../components/k8s/ircNetwork";
import { SecretVolume } from "../harness/realCatbox/secretVolume";

const poll = 0.2; // seconds between the reloader's looks
const targetName = "reload-target";

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

    /** Start a process whose name (comm) is targetName and that records its SIGHUPs. */
    async function startCatbox(): Promise<ChildProcess> {
        const p = spawn(catboxBin, [path.join(__dirname, "support", "fixtures", "signal-recorder.js"), signals], { stdio: "ignore" });
        targets.push(p);
        for (let i = 0; i < 50 && !readLog().includes(`START ${p.pid}`); i++) await sleep(50);
        assert.equal(readFileSync(`/proc/${p.pid}/comm`, "utf8").trim(), targetName);
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
        volume = new SecretVolume(path.join(work, "etc-catbox"), { "catbox-0.conf": "motd = one\n" });
        signals = path.join(work, "signals.log");
        mkdirSync(path.join(work, "bin"));
        catboxBin = path.join(work, "bin", targetName);
        // A link to node: the kernel names the process after the link.
        symlinkSync(process.execPath, catboxBin);
        await startCatbox();
        reloader = spawn(shell[0], [...shell.slice(1), reloaderScriptPath], {
            env: { PATH: process.env.PATH, CONFIG_DIR: volume.dir, TARGET_NAME: targetName, POLL_SECONDS: String(poll),
                // The stand-in speaks no IRC: its health is test/realCatboxPods.test.ts's business.
                HEALTH_SECONDS: "3600", STATE_DIR: path.join(work, "state") },
            stdio: ["ignore", "pipe", "pipe"],
        });
        reloader.stdout!.on("data", (d) => (reloaderLog += d));
        reloader.stderr!.on("data", (d) => (reloaderLog += d));
        for (let i = 0; i < 50 && !reloaderLog.includes("watching"); i++) await sleep(50);
    });

    // Whatever becomes of the test, nothing it started outlives it.
    const killAll = () => {
        reloader?.kill("SIGKILL");
        for (const t of targets) t.kill("SIGKILL");
    };
    process.on("exit", killAll);

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
        assert.equal((reloaderLog.match(new RegExp(`sent SIGHUP to ${targetName}`, "g")) ?? []).length, 3, reloaderLog);
    });

    it("keeps working when catbox restarts: signals the new process, once", async () => {
        const [first] = targets;
        first.kill("SIGKILL");
        await new Promise((resolve) => first.once("exit", resolve));
        // An update while catbox is down: the new process reads the new files at start.
        volume.update({ "catbox-0.conf": "motd = five\n" });
        await sleep(poll * 1000 * 4);
        assert.match(reloaderLog, new RegExp(`no ${targetName} process running`));
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
