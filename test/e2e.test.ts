// The real Pulumi engine against a real Kubernetes cluster: what no mock can
// show. Through the Automation API (a local backend, no cloud), it runs `up` of
// a stack on the cluster of E2E_KUBE_CONTEXT with the catbox image E2E_IMAGE
// loaded there, talks IRC to the daemons as a user's client would, changes the
// MOTD by another `up`, checks that a third run would change nothing, and
// destroys it all. The CI workflow's e2e job runs it on kind with Calico (which
// enforces the NetworkPolicy); `npm test` skips it where no cluster is given,
// and under E2E_REQUIRED it never skips. Any cluster you have will do: see the
// README's Tests section.
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { containerTlsPort, podName, serverName } from "../components/catbox/names";
import { IrcClient } from "../harness/realCatbox/ircClient";
import { waitUntil } from "../harness/waitUntil";

const context = process.env.E2E_KUBE_CONTEXT;
const image = process.env.E2E_IMAGE;
const pulumiCli = spawnSync("pulumi", ["version"], { encoding: "utf8" }).status === 0;
const kubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;
const missing =
    !context || !image
        ? "no Kubernetes cluster (no Docker or kind here): set E2E_KUBE_CONTEXT to a kubectl context and E2E_IMAGE to a catbox image it can run"
        : !pulumiCli
          ? "no pulumi CLI on PATH"
          : !kubectl
            ? "no kubectl on PATH"
            : undefined;
if (missing && process.env.E2E_REQUIRED) throw new Error(`the end-to-end test cannot run: ${missing}`);
if (missing) console.log(`# end-to-end test skipped: ${missing}`);

const root = path.join(__dirname, "..");
const stackName = "e2e";
const namespace = "irc-e2e";
const networkName = "catbox";
const pattern = "irc{n}.e2e.example.org";
const replicas = 3;
const firstMotd = "Hello from the end-to-end test";
const secondMotd = "The MOTD changed by pulumi up";
/** Within kubelet's sync period (up to about a minute) and the reloader's poll, with room for a busy runner. */
const reloadMs = 180_000;
const step = { skip: missing, timeout: 900_000 };

describe("end to end: pulumi up of the dev stack's shape on a real cluster, three daemons", () => {
    let stack: Stack;
    let state: string;
    let ca: string;
    const forwards: ChildProcess[] = [];
    const clients: IrcClient[] = [];

    /** A local port forwarded to pod n's TLS port (kubectl port-forward), once it forwards. */
    async function forward(n: number): Promise<number> {
        const p = spawn(
            "kubectl",
            ["--context", context!, "-n", namespace, "port-forward", `pod/${podName(networkName, n)}`, `:${containerTlsPort}`],
            {
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        forwards.push(p);
        let out = "";
        p.stdout!.on("data", (d) => (out += d));
        p.stderr!.on("data", (d) => (out += d));
        const port = await waitUntil(`kubectl port-forward to pod ${n}`, () => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1], {
            timeoutMs: 60_000,
            detail: () => out,
        });
        return Number(port);
    }

    /** A user's TLS client of daemon n: Node's defaults, the certificate checked against the stack's. */
    async function client(n: number, nick: string): Promise<IrcClient> {
        const c = await IrcClient.connect({
            host: "127.0.0.1",
            port: await forward(n),
            nick,
            tls: { servername: serverName(pattern, n), ca },
            timeoutMs: 30_000,
        });
        clients.push(c);
        return c;
    }

    before(async () => {
        if (missing) return;
        state = mkdtempSync(path.join(tmpdir(), "catbox-e2e-state-"));
        stack = await LocalWorkspace.createOrSelectStack(
            { stackName, workDir: root },
            { envVars: { PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE: "end-to-end" } },
        );
        await stack.setAllConfig({
            "catbox-gke:platform": { value: "kubeconfig" },
            "catbox-gke:kubeContext": { value: context! },
            "catbox-gke:image": { value: image! },
            "catbox-gke:clientServiceType": { value: "NodePort" },
            "catbox-gke:namespace": { value: namespace },
            "catbox-gke:networkName": { value: networkName },
            "catbox-gke:replicas": { value: String(replicas) },
            "catbox-gke:serverNamePattern": { value: pattern },
            "catbox-gke:tlsMode": { value: "selfSigned" },
            "catbox-gke:motd": { value: firstMotd },
        });
    });

    after(async () => {
        for (const c of clients) c.close();
        for (const p of forwards) p.kill();
        if (!stack) return;
        try {
            await stack.destroy({ onOutput: (o) => process.stdout.write(o) });
        } finally {
            // Whatever destroy said is the error to see: the local state goes in any case.
            await stack.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
            rmSync(path.join(root, `Pulumi.${stackName}.yaml`), { force: true });
            rmSync(state, { recursive: true, force: true });
        }
    });

    it("pulumi up creates the network and its pods become ready", step, async () => {
        const up = await stack.up({ onOutput: (o) => process.stdout.write(o) });
        assert.equal(up.summary.result, "succeeded");
        ca = up.outputs.tlsCertificate.value;
        assert.match(ca, /BEGIN CERTIFICATE/);
        assert.deepEqual(
            up.outputs.serverNames.value,
            Array.from({ length: replicas }, (_, n) => serverName(pattern, n)),
        );
    });

    it("a TLS client on pod 0 and one on pod 2 register, and a message crosses the network", step, async () => {
        const alice = await client(0, "alice");
        const bob = await client(2, "bob");
        await waitUntil("LINKS on pod 0 to list every daemon", async () => (await alice.links()).length === replicas, {
            timeoutMs: 60_000,
            detail: () => alice.lines.slice(-10).join("\n"),
        });
        assert.deepEqual((await alice.links()).sort(), Array.from({ length: replicas }, (_, n) => serverName(pattern, n)).sort());
        alice.send("PRIVMSG bob :across the cluster");
        await bob.waitFor(/PRIVMSG bob :across the cluster$/, 30_000, "alice's message on pod 2");
    });

    it("a MOTD change by pulumi up reaches new clients, and a connected client stays connected", step, async () => {
        const stayer = await client(1, "stayer");
        await stack.setConfig("catbox-gke:motd", { value: secondMotd });
        const up = await stack.up({ onOutput: (o) => process.stdout.write(o) });
        assert.equal(up.summary.result, "succeeded");
        // Only the Secret changes: the pods are not replaced.
        assert.deepEqual(Object.keys(up.summary.resourceChanges ?? {}).sort(), ["same", "update"]);
        assert.equal(up.summary.resourceChanges?.update, 1);
        let look = 0;
        await waitUntil(
            "the new MOTD on a new client of pod 1",
            async () => {
                const c = await client(1, `late${look++}`);
                await c.waitFor(/ 376 /, 30_000, "end of MOTD");
                c.close();
                return c.lines.some((l) => / 372 /.test(l) && l.endsWith(secondMotd));
            },
            { timeoutMs: reloadMs, everyMs: 5000 },
        );
        assert.ok(await stayer.alive(), "the client connected before the change was dropped");
        assert.equal(stayer.closed, false);
    });

    it("another run with the same config would change nothing (preview --expect-no-changes)", step, async () => {
        const preview = await stack.preview({ expectNoChanges: true, onOutput: (o) => process.stdout.write(o) });
        assert.deepEqual(
            Object.keys(preview.changeSummary).filter((k) => k !== "same"),
            [],
        );
    });
});
