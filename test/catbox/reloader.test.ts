// configs/reloader.sh for real: a real shell runs it against a stand-in process
// that records its signals, while the test updates a Secret volume the way
// kubelet does. It runs under the system's sh and, where installed (CI installs
// it), under busybox: the pod's reloader image is busybox. The stand-in has a
// name of its own, so that this reloader (which scans all of /proc, as it does in
// its pod) never signals a real catbox of another test, nor the stand-in of
// another run of these tests on the same machine; test/catbox/realCatboxPods.test.ts
// runs the reloader against the real catbox, in a PID namespace of its own.
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as net from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { reloaderScriptPath } from "../../components/network/ircNetwork";
import { SecretVolume } from "../../harness/realCatbox/secretVolume";
import { holdsFor, waitUntil } from "../../harness/waitUntil";

const poll = 0.2; // seconds between the reloader's looks
/** Long enough for the reloader to have looked several times: any extra SIGHUP would show by then. */
const quietMs = poll * 1000 * 5;
/** Unique to this run (a process name holds 15 characters): two runs never signal each other's stand-in. */
const targetName = `reload-${process.pid}`;
/** Generous: on a busy machine a process can take seconds to start. */
const startMs = 20_000;

const busybox = spawnSync("busybox", ["true"]).status === 0;
const shells: [string, string[], boolean][] = [
    ["sh", ["sh"], true],
    ["busybox sh", ["busybox", "sh"], busybox],
];

for (const [shellName, shell, available] of shells) {
    describe(
        `the reloader script, under ${shellName}`,
        { skip: available ? false : `${shellName} is not installed (apt-get install busybox)` },
        () => {
            let work: string;
            let volume: SecretVolume;
            let signals: string;
            let catboxBin: string;
            let reloader: ChildProcess;
            let reloaderLog = "";
            const targets: ChildProcess[] = [];

            /** Start a process whose name (comm) is targetName and that records its SIGHUPs. */
            async function startCatbox(): Promise<ChildProcess> {
                const p = spawn(catboxBin, [path.join(__dirname, "..", "support", "fixtures", "signal-recorder.js"), signals], {
                    stdio: ["ignore", "ignore", "pipe"],
                });
                let stderr = "";
                p.stderr!.on("data", (d) => (stderr += d));
                targets.push(p);
                await waitUntil(
                    `the stand-in ${p.pid} to record its start`,
                    () => {
                        if (p.exitCode !== null) throw new Error(`the stand-in exited (${p.exitCode}):\n${stderr}`);
                        return readLog().includes(`START ${p.pid}`);
                    },
                    { timeoutMs: startMs, detail: () => `stderr: ${stderr}\nsignals log: ${readLog()}` },
                );
                assert.equal(readFileSync(`/proc/${p.pid}/comm`, "utf8").trim(), targetName);
                return p;
            }
            const readLog = () => (existsSync(signals) ? readFileSync(signals, "utf8") : "");
            const hups = (pid?: number) =>
                readLog()
                    .split("\n")
                    .filter((l) => l.startsWith("HUP ") && (pid === undefined || l === `HUP ${pid}`)).length;

            /** Wait until `n` SIGHUPs have arrived, then watch that no extra one follows. */
            async function settle(n: number) {
                await waitUntil(`${n} SIGHUP(s)`, () => hups() >= n, { timeoutMs: startMs, detail: () => reloaderLog });
                await holdsFor(`exactly ${n} SIGHUP(s)`, quietMs, () => (hups() > n ? `${hups()} arrived:\n${reloaderLog}` : undefined));
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
                    env: {
                        PATH: process.env.PATH,
                        CONFIG_DIR: volume.dir,
                        TARGET_NAME: targetName,
                        POLL_SECONDS: String(poll),
                        // The stand-in speaks no IRC: its health is test/catbox/realCatboxPods.test.ts's business.
                        HEALTH_SECONDS: "3600",
                        STATE_DIR: path.join(work, "state"),
                    },
                    stdio: ["ignore", "pipe", "pipe"],
                });
                reloader.stdout!.on("data", (d) => (reloaderLog += d));
                reloader.stderr!.on("data", (d) => (reloaderLog += d));
                await waitUntil("the reloader to start watching", () => reloaderLog.includes("watching"), {
                    timeoutMs: startMs,
                    detail: () => reloaderLog,
                });
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
                await holdsFor("no SIGHUP without an update", quietMs, () => (hups() > 0 ? readLog() : undefined));
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
                await waitUntil("the reloader to see that its target is gone", () => reloaderLog.includes(`no ${targetName} process running`), {
                    timeoutMs: startMs,
                    detail: () => reloaderLog,
                });
                const second = await startCatbox();
                await holdsFor("nothing to reload: it started with the new files", quietMs, () => (hups(second.pid) > 0 ? readLog() : undefined));
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
        },
    );
}

// The watchdog half of the script, against a stand-in catbox and a stand-in of
// its IRC port that answers (451) or hangs up as the test says: a failure is
// forgotten once a check passes, and only failures in a row kill. Under busybox,
// with its applets (nc, timeout) first on PATH, as in the pod's image.
describe("the reloader's watchdog, under busybox sh", { skip: busybox ? false : "busybox is not installed (apt-get install busybox)" }, () => {
    const work = mkdtempSync(path.join(tmpdir(), "catbox-watchdog-"));
    const answers: boolean[] = [];
    let checks = 0;
    let reloader: ChildProcess | undefined;
    let target: ChildProcess | undefined;
    let log = "";
    const server = net.createServer((socket) => {
        const answer = answers[checks++] ?? false;
        socket.on("error", () => undefined);
        if (answer) socket.end(":stand-in 451 * :You have not registered\r\n");
        else socket.destroy();
    });

    before(async () => {
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const bin = path.join(work, "bin");
        mkdirSync(bin);
        const installed = spawnSync("busybox", ["--install", "-s", bin], { encoding: "utf8" });
        assert.equal(installed.status, 0, installed.stderr);
        const targetBin = path.join(work, targetName);
        symlinkSync(process.execPath, targetBin);
        target = spawn(targetBin, [path.join(__dirname, "..", "support", "fixtures", "signal-recorder.js"), path.join(work, "signals.log")], {
            stdio: "ignore",
        });
        const volume = new SecretVolume(path.join(work, "etc-catbox"), { "catbox-0.conf": "motd = one\n" });
        reloader = spawn("busybox", ["sh", reloaderScriptPath], {
            env: {
                PATH: `${bin}:${process.env.PATH}`,
                CONFIG_DIR: volume.dir,
                TARGET_NAME: targetName,
                POLL_SECONDS: String(poll),
                HEALTH_HOST: "127.0.0.1",
                HEALTH_PORT: String((server.address() as net.AddressInfo).port),
                HEALTH_SECONDS: "1",
                HEALTH_TIMEOUT: "2",
                HEALTH_FAILURES: "3",
                STATE_DIR: path.join(work, "state"),
            },
            stdio: ["ignore", "pipe", "pipe"],
        });
        reloader.stdout!.on("data", (d) => (log += d));
        reloader.stderr!.on("data", (d) => (log += d));
    });

    after(() => {
        reloader?.kill("SIGKILL");
        target?.kill("SIGKILL");
        server.close();
        rmSync(work, { recursive: true, force: true });
    });

    it("forgets failures once a check passes: two failures, a pass, two failures … never kill", async () => {
        answers.push(false, false, true, false, false, true, false, false, true);
        await waitUntil(`${answers.length} health checks`, () => checks >= answers.length, { timeoutMs: 60_000, detail: () => log });
        assert.equal(target!.exitCode, null, `the target was killed:\n${log}`);
        assert.equal(target!.signalCode, null, `the target was killed:\n${log}`);
        assert.doesNotMatch(log, /is hung/);
        assert.match(log, /answers again/);
    });

    it("three failures in a row kill it", async () => {
        answers.push(false, false, false);
        await waitUntil("the target killed", () => target!.signalCode === "SIGKILL", { timeoutMs: 60_000, detail: () => log });
        assert.match(log, /health check failed \(3 of 3\)/);
        assert.match(log, /is hung: killing it/);
    });
});
