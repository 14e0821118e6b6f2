// npm start, driven as a user would: the dev stack's network on this machine
// (with its web client and IRC services), a message between clients of two
// daemons, the stack file's MOTD changed while it runs and served to a new
// client, Ctrl-C leaving no process behind; and bad config refused as `up`
// refuses it, before anything starts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { IrcClient } from "../../harness/realCatbox/ircClient";
import { canConnect } from "../../harness/realCatbox/localNetwork";
import { loungeMissing } from "../../harness/web/lounge";
import { athemeMissing } from "../../harness/services/atheme";
import { waitUntil } from "../../harness/waitUntil";
import { onDaemon } from "../support/realCatbox";

const root = path.join(__dirname, "..", "..");

/** `npm start -- <stack>` as a user runs it: its output so far, and the child. */
function npmStart(stack: string) {
    // Its own process group, as a terminal's job: Ctrl-C signals the whole group.
    const child = spawn("npm", ["start", "--", stack], { cwd: root, env: process.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const out = { text: "" };
    child.stdout.on("data", (d) => (out.text += d));
    child.stderr.on("data", (d) => (out.text += d));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    return { child, out, exited };
}

const alive = (pid: number) => {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
};

describe("npm start: the network on this machine", () => {
    it("two daemons linked, a message between them, an edited MOTD served, Ctrl-C stops everything", onDaemon(120_000), async () => {
        // A stack file of its own (the dev stack's, under another name), so that the test may edit it.
        const stack = `start-test-${process.pid}`;
        const file = path.join(root, `Pulumi.${stack}.yaml`);
        // With the web client and services on: npm start runs them too, where `npm ci` installed
        // The Lounge into web/ and where atheme is installed.
        writeFileSync(
            file,
            readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8") +
                "  catbox-gke:webClient: true\n  catbox-gke:webImage: catbox-web:dev\n" +
                "  catbox-gke:services: true\n  catbox-gke:servicesImage: catbox-services:dev\n",
        );
        const run = npmStart(stack);
        const clients: IrcClient[] = [];
        try {
            await waitUntil("npm start to print where to connect", () => /^pids: /m.test(run.out.text), {
                timeoutMs: 90_000,
                detail: () => run.out.text,
            });
            const ports = [...run.out.text.matchAll(/irc:\/\/127\.0\.0\.1:(\d+)\s+ircs:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => ({
                link: +m[1],
                tls: +m[2],
            }));
            const caFile = /check it with (\S+)/.exec(run.out.text)![1];
            const pids = /^pids: (.*)$/m.exec(run.out.text)![1].split(" ").map(Number);
            assert.equal(ports.length, 2, run.out.text);
            assert.match(run.out.text, /prober: http:\/\/127\.0\.0\.1:\d+\/metrics/, "the dev stack has a prober");
            const webUrl = /^web client: (\S+)$/m.exec(run.out.text)?.[1];
            if (loungeMissing()) {
                assert.match(run.out.text, /no web client: The Lounge is not installed/);
            } else {
                assert.ok(webUrl, run.out.text);
                const page = await fetch(webUrl);
                assert.equal(page.status, 200);
                assert.match(await page.text(), /<title>The Lounge<\/title>/);
            }

            // As a user: TLS, checked against the pair npm start made, on two daemons.
            const tlsTo = (n: number, nick: string) =>
                IrcClient.connect({
                    host: "127.0.0.1",
                    port: ports[n].tls,
                    nick,
                    tls: { servername: "localhost", ca: readFileSync(caFile, "utf8") },
                });
            const [alice, bob] = [await tlsTo(0, "alice"), await tlsTo(1, "bob")];
            clients.push(alice, bob);
            // IRC services too, where atheme is installed: NickServ on the network.
            if (athemeMissing()) {
                assert.match(run.out.text, /no services: no atheme-services/);
            } else {
                assert.match(run.out.text, /^services: atheme/m);
                await waitUntil("NickServ on the network", async () => / 311 /.test(await alice.ask("WHOIS NickServ", / 311 | 401 /)), {
                    timeoutMs: 20_000,
                });
            }
            alice.send("PRIVMSG bob :hello across the link");
            await bob.waitFor(/:alice!\S+ PRIVMSG bob :hello across the link/, 10_000, "alice's message on the other daemon");

            // The stack file edited while it runs: a new client is served the new MOTD, no restart.
            writeFileSync(file, readFileSync(file, "utf8") + "  catbox-gke:motd: Edited while running\n");
            await waitUntil("the reload", () => /reloaded Pulumi\..*\.yaml/.test(run.out.text), { timeoutMs: 20_000, detail: () => run.out.text });
            await waitUntil(
                "a new client to be served the new MOTD",
                async () => {
                    const c = await tlsTo(1, `m${Date.now() % 100000}`);
                    clients.push(c);
                    const motd = await c.waitFor(/ 37[26] /, 5000, "the MOTD");
                    return motd.includes("Edited while running");
                },
                { timeoutMs: 20_000 },
            );
            assert.deepEqual(pids.map(alive), [true, true], "the daemons were not restarted");

            // Ctrl-C: every process it started goes.
            process.kill(-run.child.pid!, "SIGINT");
            await waitUntil("npm start to exit on SIGINT", async () => (await Promise.race([run.exited, Promise.resolve("running")])) !== "running", {
                timeoutMs: 20_000,
            });
            await waitUntil("every catbox it started to be gone", () => pids.every((p) => !alive(p)), { timeoutMs: 10_000 });
            if (webUrl) {
                const { hostname, port } = new URL(webUrl);
                await waitUntil("the web client it started to be gone", async () => !(await canConnect(hostname, Number(port))), {
                    timeoutMs: 10_000,
                });
            }
        } finally {
            rmSync(file, { force: true });
            for (const c of clients) c.close();
            try {
                if (run.child.exitCode === null && run.child.signalCode === null) process.kill(-run.child.pid!, "SIGKILL");
            } catch {
                // The group is gone already.
            }
        }
    });

    it("bad config: the message `up` gives, and nothing started", { timeout: 60_000 }, async () => {
        const stack = `start-bad-${process.pid}`;
        const file = path.join(root, `Pulumi.${stack}.yaml`);
        writeFileSync(file, readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8") + "  catbox-gke:maxNickLength: 100\n");
        try {
            const run = npmStart(stack);
            assert.notEqual(await run.exited, 0);
            assert.match(
                run.out.text,
                /invalid stack config \(1 problem\):\n {2}catbox-gke:maxNickLength = "100": must be a whole number from 6 to 99 /,
            );
            assert.doesNotMatch(run.out.text, /pids: /);
        } finally {
            rmSync(file, { force: true });
        }
    });
});
