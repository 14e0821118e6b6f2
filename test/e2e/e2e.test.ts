// The real Pulumi engine against a real Kubernetes cluster: what no mock can
// show. Through the Automation API (a local backend, no cloud), it runs `up` of
// a stack on the cluster of E2E_KUBE_CONTEXT with the catbox image E2E_IMAGE
// (and the prober's, E2E_PROBER_IMAGE) loaded there, talks IRC to the daemons
// as users' clients do (through the client Service, from outside the nodes),
// shows that the NetworkPolicy keeps a pod without the network's labels off the
// link port while the prober sees every daemon, changes the MOTD by another
// `up`, checks that a third run would change nothing, and destroys it all. The CI workflow's e2e job runs it on kind with Calico (which
// enforces the NetworkPolicy); `npm test` skips it where no cluster is given,
// and under E2E_REQUIRED it never skips. Any cluster you have will do: see the
// README's Tests section.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { containerLinkPort, linkHost, serverName } from "../../components/catbox/names";
import { configDefaults } from "../../components/config/keys";
import { IrcClient } from "../../harness/realCatbox/ircClient";
import { waitUntil } from "../../harness/waitUntil";

const context = process.env.E2E_KUBE_CONTEXT;
const image = process.env.E2E_IMAGE;
const proberImage = process.env.E2E_PROBER_IMAGE;
const pulumiCli = spawnSync("pulumi", ["version"], { encoding: "utf8" }).status === 0;
const kubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;
const missing =
    !context || !image
        ? "no Kubernetes cluster (no Docker or kind here): set E2E_KUBE_CONTEXT to a kubectl context and E2E_IMAGE to a catbox image it can run (E2E_PROBER_IMAGE to a prober's)"
        : !pulumiCli
          ? "no pulumi CLI on PATH"
          : !kubectl
            ? "no kubectl on PATH"
            : undefined;
if (missing && process.env.E2E_REQUIRED) throw new Error(`the end-to-end test cannot run: ${missing}`);
if (missing) console.log(`# end-to-end test skipped: ${missing}`);

const root = path.join(__dirname, "..", "..");
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
    const clients: IrcClient[] = [];

    /** kubectl on the test's cluster; its output, or its error. */
    function kubectl(args: string[]): { status: number | null; out: string } {
        const r = spawnSync("kubectl", ["--context", context!, ...args], { encoding: "utf8", timeout: 300_000 });
        return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
    }

    /** Where users reach the network: every node's address, at the client Service's NodePort (the TLS port). */
    function entrypoints(): { host: string; port: number }[] {
        const services = JSON.parse(kubectl(["-n", namespace, "get", "services", "-o", "json"]).out);
        const client = services.items.find((svc: any) => svc.spec.type === "NodePort");
        const port = client.spec.ports.find((p: any) => p.name === "ircs").nodePort;
        const nodes = JSON.parse(kubectl(["get", "nodes", "-o", "json"]).out);
        return nodes.items.map((node: any) => ({ host: node.status.addresses.find((a: any) => a.type === "InternalIP").address, port }));
    }

    /**
     * A user's TLS client, through the client Service from outside the nodes (Node's
     * defaults, the certificate checked against the stack's): the first node that
     * answers, from `from` on. The daemon it reached names itself in its 001.
     */
    async function client(nick: string, from = 0): Promise<{ c: IrcClient; server: string }> {
        const all = entrypoints();
        let last: unknown;
        for (let k = 0; k < all.length; k++) {
            const { host, port } = all[(from + k) % all.length];
            try {
                const c = await IrcClient.connect({ host, port, nick, tls: { servername: serverName(pattern, 0), ca }, timeoutMs: 30_000 });
                clients.push(c);
                const server = /^:(\S+) 001 /.exec(c.lines.find((l) => / 001 /.test(l)) ?? "")?.[1] ?? "";
                return { c, server };
            } catch (e) {
                // externalTrafficPolicy Local: a node without a daemon of its own does not answer.
                last = e;
            }
        }
        throw new Error(`no node answered on the client Service: ${String(last)}`);
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
            ...(proberImage ? { "catbox-gke:proberImage": { value: proberImage } } : {}),
        });
    });

    after(async () => {
        for (const c of clients) c.close();
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

    it(
        "two users' TLS clients, through the client Service from outside the nodes, reach two daemons, and a message crosses the network",
        step,
        async () => {
            const alice = await client("alice");
            // Another daemon for bob: kube-proxy picks among a node's own daemons, so try every node, a few times.
            let bob: { c: IrcClient; server: string } | undefined;
            for (let k = 1; k <= 12 && !bob; k++) {
                const other = await client(`bob${k}`, k);
                if (other.server !== alice.server) bob = other;
                else other.c.close();
            }
            assert.ok(bob, `every connection reached ${alice.server}`);
            await waitUntil("LINKS on alice's daemon to list every daemon", async () => (await alice.c.links()).length === replicas, {
                timeoutMs: 60_000,
                detail: () => alice.c.lines.slice(-10).join("\n"),
            });
            assert.deepEqual((await alice.c.links()).sort(), Array.from({ length: replicas }, (_, n) => serverName(pattern, n)).sort());
            const nick = /^:\S+ 001 (\S+) /.exec(bob.c.lines.find((l) => / 001 /.test(l))!)![1];
            alice.c.send(`PRIVMSG ${nick} :across the cluster`);
            await bob.c.waitFor(new RegExp(`PRIVMSG ${nick} :across the cluster$`), 30_000, `alice's message on ${bob.server}`);
        },
    );

    it("the NetworkPolicy: a pod without the network's labels is refused on the link port, one with them is let in", step, async () => {
        const statefulSet = JSON.parse(kubectl(["-n", namespace, "get", "statefulset", networkName, "-o", "json"]).out);
        const labels: Record<string, string> = statefulSet.spec.selector.matchLabels;
        const host = linkHost(networkName, namespace, "cluster.local", 0);
        // A busybox pod that passes Pod Security "restricted", asking once whether the link port answers.
        const knock = (name: string, podLabels: Record<string, string>) => {
            const overrides = {
                apiVersion: "v1",
                metadata: { labels: podLabels },
                spec: {
                    securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
                    containers: [
                        {
                            name,
                            image: String(configDefaults().reloaderImage),
                            command: ["nc", "-z", "-w", "5", host, String(containerLinkPort)],
                            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                        },
                    ],
                },
            };
            return kubectl([
                "-n",
                namespace,
                "run",
                name,
                "--rm",
                "-i",
                "--quiet",
                "--restart=Never",
                `--image=${overrides.spec.containers[0].image}`,
                `--overrides=${JSON.stringify(overrides)}`,
            ]);
        };
        const member = knock("knock-member", labels);
        assert.equal(member.status, 0, `a pod with the network's labels could not reach the link port: ${member.out}`);
        const stranger = knock("knock-stranger", { "app.kubernetes.io/name": "stranger" });
        assert.notEqual(stranger.status, 0, `a pod without the network's labels reached the link port: ${stranger.out}`);
    });

    it(
        "the prober, admitted on the link port, sees every daemon up and linked",
        { ...step, skip: missing ?? (proberImage ? undefined : "no E2E_PROBER_IMAGE") },
        async () => {
            const pods = JSON.parse(kubectl(["-n", namespace, "get", "pods", "-l", "app.kubernetes.io/name=catbox-prober", "-o", "json"]).out);
            const pod = pods.items[0].metadata.name;
            let metrics = "";
            await waitUntil(
                "the prober's metrics: every daemon up, each seeing every daemon",
                () => {
                    // Through the API server's proxy to the pod: no port-forward left behind.
                    metrics = kubectl(["get", "--raw", `/api/v1/namespaces/${namespace}/pods/${pod}:9090/proxy/metrics`]).out;
                    return Array.from({ length: replicas }, (_, n) => serverName(pattern, n)).every(
                        (server) =>
                            new RegExp(`^catbox_up\\{[^}]*server="${server.replace(/\./g, "\\.")}"[^}]*\\} 1$`, "m").test(metrics) &&
                            new RegExp(`^catbox_servers_seen\\{[^}]*server="${server.replace(/\./g, "\\.")}"[^}]*\\} ${replicas}$`, "m").test(
                                metrics,
                            ),
                    );
                },
                {
                    timeoutMs: 300_000,
                    everyMs: 5000,
                    detail: () =>
                        metrics
                            .split("\n")
                            .filter((l) => /^catbox_(up|servers_seen)/.test(l))
                            .join("\n"),
                },
            );
        },
    );

    it("a MOTD change by pulumi up reaches new clients, and a connected client stays connected", step, async () => {
        const stayer = (await client("stayer")).c;
        await stack.setConfig("catbox-gke:motd", { value: secondMotd });
        const up = await stack.up({ onOutput: (o) => process.stdout.write(o) });
        assert.equal(up.summary.result, "succeeded");
        // Only the Secret changes: the pods are not replaced.
        assert.deepEqual(Object.keys(up.summary.resourceChanges ?? {}).sort(), ["same", "update"]);
        assert.equal(up.summary.resourceChanges?.update, 1);
        let look = 0;
        await waitUntil(
            "the new MOTD on a new client",
            async () => {
                // A connection that fails (a node busy, a daemon reloading) is one more look, not the end.
                const late = await client(`late${look++}`, look).catch(() => undefined);
                if (!late) return false;
                await late.c.waitFor(/ 376 /, 30_000, "end of MOTD").catch(() => undefined);
                late.c.close();
                return late.c.lines.some((l) => / 372 /.test(l) && l.endsWith(secondMotd));
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
