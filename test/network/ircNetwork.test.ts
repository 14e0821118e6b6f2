// The network's Kubernetes objects under Pulumi's mock engine.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as k8s from "@pulumi/kubernetes";
import { IrcNetwork, reloaderScriptPath } from "../../components/network/ircNetwork";
import { runAsUser } from "../../components/network/podTemplate";
import { podSize } from "../../components/catbox/sizing";
import { containerLinkPort, containerTlsPort } from "../../components/catbox/names";
import { runOffline } from "../../harness/offline/engine";
import { byType, config, containerOf, one, podSpecOf, podTemplateOf, Registered, run, T } from "../support/helpers";

const services = (rs: Registered[]) => byType(rs, T.service);
const clientService = (rs: Registered[]) => services(rs).find((s) => s.name === "irc-client")!;

/** Which resources' inputs differ between two runs (added or removed ones count). */
function changed(a: Registered[], b: Registered[]): string[] {
    const index = (rs: Registered[]) => new Map(rs.map((r) => [r.urn, JSON.stringify(r.inputs)]));
    const [ia, ib] = [index(a), index(b)];
    return [...new Set([...ia.keys(), ...ib.keys()])]
        .filter((urn) => ia.get(urn) !== ib.get(urn))
        .map((urn) => urn.split("::").pop()!)
        .sort();
}

describe("the network's objects", () => {
    it("a namespace that enforces Pod Security 'restricted'", async () => {
        const ns = one((await run({ namespace: "chat" })).resources, T.namespace).inputs.metadata;
        assert.equal(ns.name, "chat");
        assert.equal(ns.labels["pod-security.kubernetes.io/enforce"], "restricted");
    });

    it("a StatefulSet of catbox daemons, each reading its own file from the Secret, mounted whole and read-only", async () => {
        const { resources } = await run({ replicas: "3", nodeCount: "3" });
        const sts = one(resources, T.statefulSet).inputs;
        assert.equal(sts.spec.replicas, 3);
        const headless = services(resources).find((s) => s.inputs.spec.clusterIP === "None")!;
        assert.equal(sts.spec.serviceName, headless.inputs.metadata.name);
        const catbox = containerOf(resources, "catbox");
        assert.deepEqual([...(catbox.command ?? []), ...catbox.args].slice(-2), ["-conf", "/etc/catbox/$(POD_NAME).conf"]);
        assert.deepEqual(
            catbox.env.find((e: any) => e.name === "POD_NAME"),
            { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        );
        const secretName = one(resources, T.secret).inputs.metadata.name;
        const volume = podSpecOf(resources).volumes.find((v: any) => v.secret);
        assert.equal(volume.secret.secretName, secretName);
        const fromConfig = new Set(
            podSpecOf(resources)
                .volumes.filter((v: any) => v.secret || v.configMap)
                .map((v: any) => v.name),
        );
        for (const c of podSpecOf(resources).containers) {
            for (const m of c.volumeMounts) {
                assert.equal(m.subPath, undefined, "a subPath mount never sees a Secret update");
                if (fromConfig.has(m.name)) assert.equal(m.readOnly, true, `${c.name} may write ${m.mountPath}`);
            }
        }
        assert.ok(catbox.volumeMounts.some((m: any) => m.name === volume.name && m.mountPath === "/etc/catbox"));
    });

    it("one ClusterIP Service per pod on the link port, for the servers files", async () => {
        const { resources } = await run({ replicas: "3", nodeCount: "3", linkPort: "6668" });
        const links = services(resources).filter((s) => s.inputs.spec.selector?.["statefulset.kubernetes.io/pod-name"]);
        assert.deepEqual(links.map((s) => s.inputs.metadata.name).sort(), ["catbox-0", "catbox-1", "catbox-2"]);
        for (const s of links) {
            assert.equal(s.inputs.spec.type, "ClusterIP");
            assert.equal(s.inputs.spec.selector["statefulset.kubernetes.io/pod-name"], s.inputs.metadata.name);
            assert.deepEqual(
                s.inputs.spec.ports.map((p: any) => [p.port, p.targetPort]),
                [[6668, "irc"]],
            );
        }
        const servers = one(resources, T.secret).inputs.stringData["servers-0.conf"];
        assert.match(servers, /= catbox-1\.irc\.svc\.cluster\.local,6668,/);
    });

    it("the client Service: GKE's backend service-based LoadBalancer on the static IP by name, Local traffic policy, the TLS port only", async () => {
        const { resources } = await run();
        const service = clientService(resources).inputs;
        const s = service.spec;
        assert.equal(s.type, "LoadBalancer");
        // Not the deprecated spec.loadBalancerIP: GKE's annotations.
        assert.equal(s.loadBalancerIP, undefined);
        assert.deepEqual(service.metadata.annotations, {
            "cloud.google.com/l4-rbs": "enabled",
            "networking.gke.io/load-balancer-ip-addresses": service.metadata.annotations["networking.gke.io/load-balancer-ip-addresses"],
        });
        // The address the stack made, by the name Pulumi gave it.
        assert.match(service.metadata.annotations["networking.gke.io/load-balancer-ip-addresses"], /^client-ip-[0-9a-f]{7}$/);
        assert.equal(s.externalTrafficPolicy, "Local");
        assert.deepEqual(
            s.ports.map((p: any) => [p.name, p.port, p.targetPort]),
            [["ircs", 7000, "ircs"]],
        );
        const plain = clientService((await run({ exposePlaintext: "true" })).resources).inputs.spec;
        assert.deepEqual(
            plain.ports.map((p: any) => [p.port, p.targetPort]),
            [
                [7000, "ircs"],
                [6667, "irc"],
            ],
        );
    });

    it("anti-affinity: required with a node per pod, preferred otherwise", async () => {
        const affinity = async (v: Record<string, string>) => podSpecOf((await run(v)).resources).affinity.podAntiAffinity;
        const required = await affinity({ nodeCount: "2", replicas: "2" });
        assert.equal(required.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, "kubernetes.io/hostname");
        assert.equal(required.preferredDuringSchedulingIgnoredDuringExecution, undefined);
        const preferred = await affinity({ nodeCount: "2", replicas: "3", clientsPerPod: "50" });
        assert.equal(preferred.requiredDuringSchedulingIgnoredDuringExecution, undefined);
        assert.equal(preferred.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey, "kubernetes.io/hostname");
        // A regional pool has nodeCount nodes in each of three zones.
        assert.ok((await affinity({ nodeCount: "1", replicas: "3", clusterLocation: "us-west1" })).requiredDuringSchedulingIgnoredDuringExecution);
    });

    it("a PDB of maxUnavailable 1", async () => {
        const { resources } = await run();
        const pdb = one(resources, T.podDisruptionBudget).inputs.spec;
        assert.equal(pdb.maxUnavailable, 1);
        assert.deepEqual(pdb.selector, one(resources, T.statefulSet).inputs.spec.selector);
    });

    it("no TCP probe on catbox: the reloader's watchdog checks it over IRC on the link port and carries readiness", async () => {
        const { resources } = await run();
        const catbox = containerOf(resources, "catbox");
        assert.equal(catbox.readinessProbe, undefined);
        assert.equal(catbox.livenessProbe, undefined);
        const reloader = containerOf(resources, "reloader");
        const env = Object.fromEntries(reloader.env.map((e: any) => [e.name, e.value]));
        // The port the watchdog speaks to is the port catbox listens on.
        assert.equal(env.HEALTH_PORT, String(catbox.ports.find((p: any) => p.name === "irc").containerPort));
        assert.equal(env.HEALTH_PORT, String(containerLinkPort));
        // Readiness looks for the file the watchdog writes, on a writable volume of the reloader's own.
        const [test, flag, file] = reloader.readinessProbe.exec.command;
        assert.deepEqual([test, flag], ["test", "-f"]);
        assert.equal(file, `${env.STATE_DIR}/healthy`);
        const stateMount = reloader.volumeMounts.find((m: any) => m.mountPath === env.STATE_DIR);
        assert.ok(stateMount && !stateMount.readOnly, "the watchdog's state directory is not writable");
        assert.ok(podSpecOf(resources).volumes.find((v: any) => v.name === stateMount.name).emptyDir);
        assert.match(readFileSync(reloaderScriptPath, "utf8"), /STATE_DIR:-[^}]+}/);
    });

    it("a drain: catbox keeps serving through a preStop sleep that outlasts the load balancer's health check, within the grace period", async () => {
        const spec = podSpecOf((await run()).resources);
        const sleep = containerOf((await run()).resources, "catbox").lifecycle.preStop.sleep.seconds;
        // GKE's target-pool health check of a Local service: every 8 s, unhealthy after 3 failures.
        assert.ok(sleep >= 8 * 3, `preStop sleep ${sleep}s ends before the load balancer stops sending clients`);
        assert.ok(spec.terminationGracePeriodSeconds > sleep, "the grace period ends the sleep early");
    });

    it("sizes catbox from clientsPerPod, with room for a dead pod's clients: memory request = limit, GOMEMLIMIT under it", async () => {
        const size = async (clients: string, replicas: string) => {
            const c = containerOf(
                (await run({ clientsPerPod: clients, replicas, machineType: "e2-standard-4", nodeCount: "3" })).resources,
                "catbox",
            );
            const gomemlimit = c.env.find((e: any) => e.name === "GOMEMLIMIT").value;
            return {
                r: c.resources,
                gomemlimit: Number(/^(\d+)MiB$/.exec(gomemlimit)![1]),
                memory: Number(/^(\d+)Mi$/.exec(c.resources.limits.memory)![1]),
                cpu: [parseInt(c.resources.requests.cpu), parseInt(c.resources.limits.cpu)],
            };
        };
        const small = await size("100", "2");
        const big = await size("1000", "2");
        const three = await size("1000", "3");
        for (const s of [small, big]) {
            assert.equal(s.r.requests.memory, s.r.limits.memory, "memory is not overcommitted");
            // Go's live heap is about 1.8 MiB a client: GOMEMLIMIT below that would keep the collector running.
            assert.ok(s.gomemlimit < s.memory && s.gomemlimit >= s.memory * 0.8, `GOMEMLIMIT ${s.gomemlimit}MiB for a ${s.memory}Mi limit`);
            // The CPU limit is the sized one, a core at least: a limit at the request throttles every reconnection.
            assert.ok(s.cpu[1] >= 1000 && s.cpu[1] > s.cpu[0], `CPU ${s.cpu}`);
        }
        // Room for twice the clients: one pod of two takes the other's when it dies.
        assert.ok(small.gomemlimit >= 1.8 * 200, `${small.gomemlimit}MiB for 200 clients`);
        assert.ok(big.gomemlimit >= 1.8 * 2000, `${big.gomemlimit}MiB for 2000 clients`);
        // Not from replicas: scaling must not resize, so restart, the running pods.
        assert.deepEqual(three, big);
        assert.ok(big.cpu[0] > small.cpu[0]);
        for (const [clients, s] of [
            [100, small],
            [1000, big],
        ] as const) {
            assert.deepEqual(s.cpu, [podSize(clients).cpuRequestMilli, podSize(clients).cpuLimitMilli]);
        }
    });

    it("a new image or a restart-worthy change reaches running pods: the StatefulSet rolls them, one at a time", async () => {
        const sts = one((await run()).resources, T.statefulSet).inputs.spec;
        assert.deepEqual(sts.updateStrategy, { type: "RollingUpdate" });
    });

    it("the default pods fit the default node pool, with GKE's own pods", async () => {
        const { resources } = await run();
        const spec = podSpecOf(resources);
        const mi = (q: string) => Number(/^(\d+)Mi$/.exec(q)![1]);
        const m = (q: string) => Number(/^(\d+)m$/.exec(q)![1]);
        const memory = spec.containers.reduce((a: number, c: any) => a + mi(c.resources.requests.memory), 0);
        const cpu = spec.containers.reduce((a: number, c: any) => a + m(c.resources.requests.cpu), 0);
        // One pod a node (replicas 2 on 2 nodes). An e2-small: 2 GiB, 940m allocatable, less GKE's
        // reservation (25% of memory + 100 MiB eviction) and about 500 MiB / 400m of GKE's own pods.
        assert.ok(memory <= 2048 * 0.75 - 100 - 500, `${memory} MiB`);
        assert.ok(cpu <= 940 - 400, `${cpu}m`);
    });

    it("Pod Security 'restricted' for every container", async () => {
        const spec = podSpecOf((await run()).resources);
        assert.equal(spec.securityContext.runAsNonRoot, true);
        assert.equal(spec.securityContext.runAsUser, runAsUser);
        // The image's user (configs/Dockerfile), so that the files it was built with are its own.
        const dockerfile = readFileSync(path.join(__dirname, "..", "..", "configs", "Dockerfile"), "utf8");
        assert.equal(`USER ${runAsUser}:${runAsUser}`, /^USER .*$/m.exec(dockerfile)![0]);
        assert.equal(spec.securityContext.seccompProfile.type, "RuntimeDefault");
        for (const c of spec.containers) {
            const sc = c.securityContext;
            assert.equal(sc.runAsNonRoot, true, c.name);
            assert.equal(sc.runAsUser ?? spec.securityContext.runAsUser, runAsUser, c.name);
            assert.equal(sc.allowPrivilegeEscalation, false, c.name);
            assert.deepEqual(sc.capabilities, { drop: ["ALL"] }, c.name);
            assert.equal(sc.seccompProfile.type, "RuntimeDefault", c.name);
            assert.equal(sc.readOnlyRootFilesystem, true, c.name);
            assert.equal(sc.privileged, undefined, c.name);
        }
    });

    it("a NetworkPolicy: links only from the network's pods and its prober, TLS from anywhere, nothing else", async () => {
        const { resources } = await run();
        const np = one(resources, T.networkPolicy).inputs.spec;
        const selector = one(resources, T.statefulSet).inputs.spec.selector.matchLabels;
        assert.deepEqual(np.podSelector.matchLabels, selector);
        assert.deepEqual(np.policyTypes, ["Ingress"]);
        const rules = np.ingress.map((r: any) => ({ ports: r.ports.map((p: any) => p.port), from: r.from }));
        assert.deepEqual(rules, [
            {
                ports: [containerLinkPort],
                from: [
                    { podSelector: { matchLabels: selector } },
                    { podSelector: { matchLabels: one(resources, T.deployment).inputs.spec.selector.matchLabels } },
                ],
            },
            { ports: [containerTlsPort], from: undefined },
        ]);
        const open = one((await run({ exposePlaintext: "true" })).resources, T.networkPolicy).inputs.spec;
        assert.equal(open.ingress[0].from, undefined, "published plaintext is open to clients");
    });

    it("a reloader beside catbox: shared process namespace, no added capability, running the ConfigMap's script from its mount", async () => {
        const { resources } = await run();
        const spec = podSpecOf(resources);
        assert.equal(spec.shareProcessNamespace, true);
        const reloader = containerOf(resources, "reloader");
        assert.equal(reloader.securityContext.capabilities.add, undefined);
        assert.ok(reloader.volumeMounts.some((m: any) => m.mountPath === "/etc/catbox"));
        const cm = one(resources, T.configMap).inputs;
        const volume = spec.volumes.find((v: any) => v.configMap?.name === cm.metadata.name);
        const mount = reloader.volumeMounts.find((m: any) => m.name === volume.name);
        // The script the command runs is a key of the ConfigMap, under the directory it is mounted at.
        const script = reloader.command[reloader.command.length - 1];
        assert.equal(path.dirname(script), mount.mountPath);
        assert.ok(path.basename(script) in cm.data, `${script} is not in the ConfigMap`);
        assert.match(cm.data[path.basename(script)], /^#!\/bin\/sh\n/);
    });

    it("the reloader signals the process the image runs: catbox's binary", async () => {
        const reloader = containerOf((await run()).resources, "reloader");
        const target = reloader.env.find((e: any) => e.name === "TARGET_NAME").value;
        const entrypoint = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(readFileSync(path.join(__dirname, "..", "..", "configs", "Dockerfile"), "utf8"))![1]);
        // The kernel names a process after its binary, cut to 15 characters.
        assert.equal(target, path.basename(entrypoint[0]).slice(0, 15));
    });

    it("the pod's user can read its Secret and ConfigMap files: group-readable, and its group is the volumes' group", async () => {
        const spec = podSpecOf((await run({ tlsMode: "letsEncrypt", hostname: "irc.example.org", dnsZone: "example-org" })).resources);
        const { runAsUser: user, runAsGroup, fsGroup } = spec.securityContext;
        assert.ok(user !== 0 && fsGroup !== undefined);
        for (const v of spec.volumes.filter((x: any) => x.secret || x.configMap)) {
            const mode = (v.secret ?? v.configMap).defaultMode;
            // Files are root-owned, group fsGroup: readable by the group (our group) or by anyone.
            const readable = (mode & 0o004) !== 0 || ((mode & 0o040) !== 0 && fsGroup === runAsGroup);
            assert.ok(readable, `${v.name}: mode ${mode.toString(8)}, fsGroup ${fsGroup}, runAsGroup ${runAsGroup}`);
        }
    });

    it("pods start in parallel, and mount no service account token", async () => {
        const sts = one((await run()).resources, T.statefulSet).inputs.spec;
        // The daemons link to each other: one by one, each would wait for the last to be ready.
        assert.equal(sts.podManagementPolicy, "Parallel");
        assert.equal(sts.template.spec.automountServiceAccountToken, false);
    });

    it("the reloader's checksum in the pod template follows both its scripts, so a change of either rolls the pods", async () => {
        const { resources } = await run();
        const annotation = podTemplateOf(resources).metadata.annotations["catbox-gke/reloader-checksum"];
        const data = one(resources, T.configMap).inputs.data;
        assert.deepEqual(Object.keys(data).sort(), ["bans.sh", "reloader.sh"]);
        const checksum = (reloader: string, bans: string) => createHash("sha256").update(`${reloader}\0${bans}`).digest("hex");
        assert.equal(annotation, checksum(data["reloader.sh"], data["bans.sh"]));
        assert.notEqual(annotation, checksum(data["reloader.sh"] + "\n", data["bans.sh"]));
        assert.notEqual(annotation, checksum(data["reloader.sh"], data["bans.sh"] + "\n"));
        // The reloader finds bans.sh beside itself, where the ConfigMap puts it.
        assert.match(data["reloader.sh"], /\. "\$\{0%\/\*\}\/bans\.sh"/);
    });

    it("the Secret is a Pulumi secret by its own wrapping, whatever its inputs", async () => {
        // Plain credentials, none of them secret: the Secret's data must still be one.
        const { resources } = await runOffline({
            config: {},
            program: async () => {
                const provider = new k8s.Provider("plain", { kubeconfig: "{}" });
                new IrcNetwork("irc", {
                    config: config({ platform: "kubeconfig", image: "catbox:1" }),
                    image: "catbox:1",
                    reloaderImage: "busybox:1",
                    credentials: { linkSecret: "plain-link-secret-0123", certificatePem: "plain certificate", keyPem: "plain key" },
                    provider,
                });
                return {};
            },
        });
        assert.deepEqual(one(resources, T.secret).secretInputs, ["stringData"]);
    });
});

describe("what a config change touches", () => {
    const base = { replicas: "2", opers: '{"alice":"Pass-word-1"}' };
    const secretKeys = ["opers"];

    for (const [what, change] of [
        ["a MOTD change", { motd: "A new message of the day" }],
        ["an oper change", { opers: '{"alice":"Pass-word-2","bob":"Pass-word-3"}' }],
        ["a user change", { users: '[{"usermask":"*","hostmask":"*.example.org","floodExempt":true}]' }],
        ["a ping time change", { pingTime: "20s" }],
    ] as const) {
        it(`${what} changes the Secret and nothing else: catbox reloads it on SIGHUP`, async () => {
            const a = await run(base, secretKeys);
            const b = await run({ ...base, ...change }, secretKeys);
            assert.deepEqual(changed(a.resources, b.resources), ["irc-config"]);
        });
    }

    it("a maxNickLength change changes the pod template too: catbox must restart to take it", async () => {
        const a = await run(base, secretKeys);
        const b = await run({ ...base, maxNickLength: "30" }, secretKeys);
        assert.deepEqual(changed(a.resources, b.resources), ["irc-config", "irc-statefulset"]);
        const annotations = (rs: Registered[]) => podTemplateOf(rs).metadata.annotations["catbox-gke/restart-checksum"];
        assert.notEqual(annotations(a.resources), annotations(b.resources));
    });

    it("renaming a daemon (serverNames) restarts it: catbox reads its name only at start", async () => {
        const a = await run({ ...base, serverNames: '["hub.example.org","leaf.example.org"]' }, secretKeys);
        const b = await run({ ...base, serverNames: '["hub.example.org","leaf2.example.org"]' }, secretKeys);
        // The self-signed certificate names every server, so it is made anew too; the prober
        // (a Deployment of its own, which no user uses) learns the new name and certificate.
        assert.deepEqual(changed(a.resources, b.resources), ["credentials-tls-cert", "irc-config", "irc-statefulset", "prober-deployment"]);
    });

    it("scaling 2 -> 3 adds one link Service, leaves the others alone, and keeps the pod template", async () => {
        // With a node for each pod before and after: crossing nodeCount relaxes the
        // anti-affinity, which is a template change (see the README).
        const a = await run({ ...base, nodeCount: "3" }, secretKeys);
        const b = await run({ ...base, nodeCount: "3", replicas: "3" }, secretKeys);
        // The prober learns of the new daemon: its own pod restarts, no daemon's does.
        assert.deepEqual(changed(a.resources, b.resources), ["irc-config", "irc-link-2", "irc-statefulset", "prober-deployment"]);
        assert.equal(services(b.resources).length, services(a.resources).length + 1);
        const template = (rs: Registered[]) => JSON.stringify(podTemplateOf(rs));
        assert.equal(template(a.resources), template(b.resources));
    });

    it("a client port change touches only the client Service, the uptime check that watches it, and the exports", async () => {
        const a = await run(base, secretKeys);
        const b = await run({ ...base, clientPort: "6697" }, secretKeys);
        assert.deepEqual(changed(a.resources, b.resources), ["irc-client", "uptime-check", "uptime-policy"]);
    });
});
