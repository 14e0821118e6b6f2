// The GCP resources (cluster, address, registry, images) under Pulumi's mock engine.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { runAsUser } from "../../components/network/podTemplate";
import { maintenancePolicy } from "../../components/platform/cluster";
import { engineUrn, takeOver } from "../../harness/offline/aliases";
import { runOffline } from "../../harness/offline/engine";
import { readStackFile } from "../../harness/offline/stack";
import { stackRegistryHost } from "../../scripts/registry-host";
import { byType, config, containerOf, dependencyClosure, one, Registered, run, T } from "../support/helpers";

describe("GKE cluster and node pool", () => {
    it("a zonal cluster, default pool removed, release channel, Workload Identity, Dataplane V2, deletion protection on", async () => {
        const { resources } = await run();
        const c = one(resources, T.cluster).inputs;
        assert.equal(c.location, "us-west1-a");
        assert.equal(c.removeDefaultNodePool, true);
        assert.equal(c.releaseChannel.channel, "REGULAR");
        assert.equal(c.workloadIdentityConfig.workloadPool, "my-irc-project.svc.id.goog");
        assert.equal(c.datapathProvider, "ADVANCED_DATAPATH");
        assert.equal(c.networkingMode, "VPC_NATIVE");
        assert.equal(c.deletionProtection, true);
    });

    it("deletion protection and location follow config; a region makes a regional cluster", async () => {
        const { resources } = await run({ deletionProtection: "false", clusterLocation: "us-west1" });
        const c = one(resources, T.cluster).inputs;
        assert.equal(c.deletionProtection, false);
        assert.equal(c.location, "us-west1");
    });

    it("a separate node pool: machine type, count, spot, auto-repair and -upgrade, its own service account", async () => {
        const { resources } = await run({ machineType: "e2-medium", nodeCount: "3", spotNodes: "true" });
        const p = one(resources, T.nodePool).inputs;
        const sa = one(resources, T.serviceAccount);
        assert.equal(p.nodeCount, 3);
        assert.equal(p.nodeConfig.machineType, "e2-medium");
        assert.equal(p.nodeConfig.spot, true);
        assert.deepEqual(p.management, { autoRepair: true, autoUpgrade: true });
        assert.equal(p.nodeConfig.serviceAccount, `${sa.inputs.accountId}@my-irc-project.iam.gserviceaccount.com`);
        assert.equal(p.nodeConfig.workloadMetadataConfig.mode, "GKE_METADATA");
        const defaults = one((await run()).resources, T.nodePool).inputs;
        assert.deepEqual([defaults.nodeConfig.machineType, defaults.nodeCount, defaults.nodeConfig.spot], ["e2-small", 2, false]);
    });

    it("the node service account has GKE's node role and read access to the repository, nothing more", async () => {
        const { resources } = await run();
        const email = `${one(resources, T.serviceAccount).inputs.accountId}@my-irc-project.iam.gserviceaccount.com`;
        const roles = byType(resources, T.projectIam);
        assert.deepEqual(
            roles.map((r) => [r.inputs.role, r.inputs.member]),
            [["roles/container.defaultNodeServiceAccount", `serviceAccount:${email}`]],
        );
        const reader = one(resources, T.repositoryIam).inputs;
        assert.equal(reader.role, "roles/artifactregistry.reader");
        assert.equal(reader.member, `serviceAccount:${email}`);
        assert.equal(reader.repository, "catbox");
    });

    it("the cluster's temporary default pool runs as the node service account too, set at creation only", async () => {
        const { resources } = await run();
        const cluster = one(resources, T.cluster);
        const sa = one(resources, T.serviceAccount).inputs;
        assert.equal(cluster.inputs.nodeConfig.serviceAccount, `${sa.accountId}@my-irc-project.iam.gserviceaccount.com`);
        assert.deepEqual(cluster.ignoreChanges, ["nodeConfig"], "a nodeConfig change would replace the cluster");
        assert.ok(dependencyClosure(resources, cluster).has(one(resources, T.projectIam).urn), "the cluster does not wait for the node role");
    });

    it("the node pool waits for the node account's role: nodes that cannot log or pull fail to register", async () => {
        const { resources } = await run();
        const pool = dependencyClosure(resources, one(resources, T.nodePool));
        for (const binding of byType(resources, T.projectIam)) assert.ok(pool.has(binding.urn), binding.name);
    });

    it("CI may act as the node service account and no other, and the node pool waits for that grant", async () => {
        assert.equal(byType((await run()).resources, T.serviceAccountIam).length, 0);
        const { resources } = await run({ ciServiceAccount: "pulumi-ci@my-irc-project.iam.gserviceaccount.com" });
        const actAs = one(resources, T.serviceAccountIam);
        const sa = one(resources, T.serviceAccount).inputs;
        assert.deepEqual(
            [actAs.inputs.role, actAs.inputs.member],
            ["roles/iam.serviceAccountUser", "serviceAccount:pulumi-ci@my-irc-project.iam.gserviceaccount.com"],
        );
        assert.equal(actAs.inputs.serviceAccountId, `projects/my-irc-project/serviceAccounts/${sa.accountId}@my-irc-project.iam.gserviceaccount.com`);
        assert.ok(dependencyClosure(resources, one(resources, T.nodePool)).has(actAs.urn));
        // The program grants nothing else at project level: what CI's conditioned projectIamAdmin allows (README).
        assert.deepEqual(
            byType(resources, T.projectIam).map((r) => r.inputs.role),
            ["roles/container.defaultNodeServiceAccount"],
        );
    });
});

describe("service accounts", () => {
    it("every account id fits GCP's rule (6-30 characters, no '-' at the end) for the longest networkName the config takes", async () => {
        const takes = (networkName: string) => {
            try {
                return config({ networkName }).networkName === networkName;
            } catch {
                return false;
            }
        };
        let longest = 1;
        while (takes("n".repeat(longest + 1))) longest++;
        const le = { tlsMode: "letsEncrypt", hostname: "irc.example.org", dnsZone: "example-org" };
        // The longest name, and one whose cut lands just after a '-'.
        for (const networkName of ["n".repeat(longest), `${"n".repeat(22)}-${"n".repeat(longest - 23)}`]) {
            const { resources } = await run({ networkName, ...le });
            const ids = byType(resources, T.serviceAccount).map((r) => r.inputs.accountId as string);
            assert.equal(ids.length, 2);
            for (const id of ids) assert.match(id, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, `${networkName}: ${id}`);
            assert.equal(new Set(ids).size, ids.length);
        }
    });
});

describe("node upgrades only in the operator's window", () => {
    it("a weekly window, by default Tuesday to Thursday 03:00-09:00 UTC, in the UTC form GKE returns, the same on every run", async () => {
        const policy = one((await run()).resources, T.cluster).inputs.maintenancePolicy;
        assert.deepEqual(policy.recurringWindow, {
            startTime: "2025-01-06T03:00:00Z",
            endTime: "2025-01-06T09:00:00Z",
            recurrence: "FREQ=WEEKLY;BYDAY=TU,WE,TH",
        });
        assert.deepEqual(policy.maintenanceExclusions, []);
        const again = one((await run()).resources, T.cluster).inputs.maintenancePolicy;
        assert.deepEqual(again, policy);
    });

    it("follows config: days, a start late in the day (the window runs past midnight), hours, and exclusions", async () => {
        const exclusions = [
            { name: "holidays", start: "2026-12-23T00:00:00Z", end: "2026-12-27T00:00:00Z" },
            { name: "launch freeze", start: "2027-02-01T00:00:00Z", end: "2027-04-01T00:00:00Z", scope: "NO_MINOR_OR_NODE_UPGRADES" },
        ];
        const { resources } = await run({
            maintenanceDays: "SA,SU",
            maintenanceStart: "22:30",
            maintenanceHours: "12",
            maintenanceExclusions: JSON.stringify(exclusions),
        });
        const policy = one(resources, T.cluster).inputs.maintenancePolicy;
        assert.deepEqual(policy.recurringWindow, {
            startTime: "2025-01-06T22:30:00Z",
            endTime: "2025-01-07T10:30:00Z",
            recurrence: "FREQ=WEEKLY;BYDAY=SA,SU",
        });
        assert.deepEqual(policy.maintenanceExclusions, [
            {
                exclusionName: "holidays",
                startTime: "2026-12-23T00:00:00Z",
                endTime: "2026-12-27T00:00:00Z",
                exclusionOptions: { scope: "NO_UPGRADES" },
            },
            {
                // A name with a space, as GKE takes it, and the scope as given.
                exclusionName: "launch freeze",
                startTime: "2027-02-01T00:00:00Z",
                endTime: "2027-04-01T00:00:00Z",
                exclusionOptions: { scope: "NO_MINOR_OR_NODE_UPGRADES" },
            },
        ]);
    });

    it("is the same UTC window whatever the machine's time zone (a CI runner's, a laptop's)", () => {
        const m = { days: "SA,SU", start: "22:30", hours: 12, exclusions: [] };
        const utc = maintenancePolicy(m);
        const before = process.env.TZ;
        try {
            for (const tz of ["Pacific/Chatham", "America/St_Johns", "Asia/Kathmandu", "Pacific/Kiritimati"]) {
                // Node reads TZ anew when it is set: local time is this zone's from here.
                process.env.TZ = tz;
                assert.notEqual(new Date("2025-01-06T22:30:00Z").getHours(), 22, `${tz} is not UTC here`);
                assert.deepEqual(maintenancePolicy(m), utc, tz);
            }
        } finally {
            if (before === undefined) delete process.env.TZ;
            else process.env.TZ = before;
        }
    });
});

describe("the Kubernetes provider", () => {
    it("uses gke-gcloud-auth-plugin, holds no credential, and is the same on every run", async () => {
        const [a, b] = [await run(), await run()];
        const pa = one(a.resources, T.k8sProvider);
        const kubeconfig = JSON.parse(pa.inputs.kubeconfig);
        const user = kubeconfig.users[0].user;
        assert.equal(user.exec.command, "gke-gcloud-auth-plugin");
        assert.deepEqual(Object.keys(user), ["exec"], "no token, password or client key");
        assert.ok(!/token|password|client-key/i.test(JSON.stringify(kubeconfig.clusters)));
        assert.equal(kubeconfig.clusters[0].cluster.server, "https://203.0.113.10");
        assert.equal(pa.inputs.kubeconfig, one(b.resources, T.k8sProvider).inputs.kubeconfig);
        assert.deepEqual(pa.secretInputs, ["kubeconfig"]);
        assert.equal(a.outputs.kubeconfig, pa.inputs.kubeconfig);
        assert.ok(a.secretOutputs.includes("kubeconfig"));
    });

    it("sets clusterIdentifier to the cluster and enableSecretMutable", async () => {
        const { resources } = await run();
        const p = one(resources, T.k8sProvider).inputs;
        assert.equal(p.clusterIdentifier, one(resources, T.cluster).id);
        assert.equal(p.enableSecretMutable, "true");
    });
});

describe("the static IP", () => {
    it("is regional, external, kept on destroy, and exported with a ready-to-paste ircs:// address", async () => {
        const { resources, outputs } = await run({ clientPort: "6697" });
        const ip = one(resources, T.address);
        assert.equal(ip.retainOnDelete, true);
        // Not protected: a protected resource stops `pulumi destroy` until someone edits the state.
        assert.equal(ip.protect, false);
        assert.equal(ip.inputs.region, "us-west1");
        assert.equal(ip.inputs.addressType, "EXTERNAL");
        // GKE's load balancer asks for the Premium tier unless told otherwise, and takes a reserved address of its own tier only.
        assert.equal(ip.inputs.networkTier, "PREMIUM");
        assert.equal(outputs.clientIp, "203.0.113.7");
        assert.equal(outputs.ircUrl, "ircs://203.0.113.7:6697");
        const client = resources.find((r) => r.type === T.service && r.inputs.spec.type === "LoadBalancer")!;
        assert.match(client.inputs.metadata.annotations["networking.gke.io/load-balancer-ip-addresses"], /^client-ip-[0-9a-f]{7}$/);
    });

    it("existingAddress takes up an address already in the project, by name, and never makes or releases one", async () => {
        const { resources, outputs } = await run({ existingAddress: "catbox-kept-ip", uptimeAlert: "true", adminEmail: "ops@irc-operators.net" });
        assert.deepEqual(byType(resources, T.address), []);
        const client = resources.find((r) => r.type === T.service && r.inputs.spec.type === "LoadBalancer")!;
        assert.equal(client.inputs.metadata.annotations["networking.gke.io/load-balancer-ip-addresses"], "catbox-kept-ip");
        assert.equal(outputs.clientIp, "203.0.113.8", "the looked-up address");
        assert.equal(one(resources, T.uptimeCheck).inputs.monitoredResource.labels.host, "203.0.113.8");
    });
});

describe("docs/destroy.md, against what the program registers", () => {
    const section = readFileSync(path.join(__dirname, "..", "..", "docs", "destroy.md"), "utf8");

    it("nothing is protected, so pulumi destroy needs no state surgery", async () => {
        const { resources } = await run();
        assert.deepEqual(
            resources.filter((r) => r.protect).map((r) => r.name),
            [],
        );
        assert.ok(!/pulumi state /.test(section), "the README still edits the state");
    });

    it("every key it sets exists and does what it says", async () => {
        const keys = [...section.matchAll(/pulumi config set catbox-gke:(\w+) (\w+)/g)].map((m) => [m[1], m[2]]);
        assert.deepEqual(keys, [
            ["deletionProtection", "false"],
            ["keepAddress", "false"],
        ]);
        const { resources } = await run({ deletionProtection: "false", keepAddress: "false" });
        assert.equal(one(resources, T.cluster).inputs.deletionProtection, false);
        assert.equal(one(resources, T.address).retainOnDelete, false);
        assert.deepEqual(
            resources.filter((r) => r.retainOnDelete).map((r) => r.name),
            [],
        );
    });
});

describe("keepAddress false", () => {
    it("lets pulumi destroy release the IP", async () => {
        assert.equal(one((await run({ keepAddress: "false" })).resources, T.address).retainOnDelete, false);
    });
});

describe("the registry and the image", () => {
    it("keeps a stack made before the component's rename: the registry's component answers to its old type, at the stack's root", async () => {
        const { resources } = await run();
        const registry = one(resources, "catbox-gke:index:ImageRegistry");
        assert.equal(one(resources, T.repository).parent, registry.urn);
        // That stack's registry and everything under it, as the engine finds them through the aliases.
        const inside = (r: Registered) => r.urn === registry.urn || r.urn.includes("catbox-gke:index:ImageRegistry$");
        const old = resources
            .filter(inside)
            .map((r) =>
                engineUrn(r.urn)
                    .replace("catbox-gke:index:GkePlatform$", "")
                    .replace("catbox-gke:index:ImageRegistry", "catbox-gke:index:CatboxImage"),
            );
        const taken = takeOver(resources, new Set(old));
        assert.deepEqual(
            resources.filter(inside).map((r) => taken.get(r.urn)),
            old,
        );
    });

    it("a Docker repository, and the image built from configs/Dockerfile for linux/amd64, not on preview", async () => {
        const { resources } = await run({ catboxVersion: "v1.12.0" });
        const repo = one(resources, T.repository).inputs;
        assert.equal(repo.format, "DOCKER");
        assert.equal(repo.location, "us-west1");
        const image = one(resources, T.image, "catbox-image").inputs;
        assert.equal(image.imageName, "us-west1-docker.pkg.dev/my-irc-project/catbox/catbox:v1.12.0");
        assert.equal(image.build.platform, "linux/amd64");
        // Relative to the project (pulumi-docker reads them so): no checkout's own path in an input.
        assert.deepEqual([image.build.context, image.build.dockerfile], ["configs", "configs/Dockerfile"]);
        assert.ok(existsSync(path.join(__dirname, "..", "..", image.build.dockerfile)));
        assert.deepEqual(image.build.args, { CATBOX_VERSION: "v1.12.0" });
        assert.equal(image.buildOnPreview, false);
    });

    it("the pods run the image by digest, and a new build changes it", async () => {
        const a = await run();
        const b = await run({ catboxVersion: "v1.12.0" });
        const imageOf = (rs: Registered[]) => containerOf(rs, "catbox").image;
        assert.match(imageOf(a.resources), /^us-west1-docker\.pkg\.dev\/my-irc-project\/catbox\/catbox@sha256:[0-9a-f]{64}$/);
        assert.notEqual(imageOf(a.resources), imageOf(b.resources));
        assert.equal(imageOf(a.resources), imageOf((await run()).resources));
    });

    it("a prebuilt image skips the catbox build", async () => {
        const { resources } = await run({ image: "ghcr.io/example/catbox@sha256:" + "a".repeat(64) });
        assert.deepEqual(
            byType(resources, T.image)
                .map((r) => r.name)
                .sort(),
            ["catbox-prober", "catbox-reloader"],
        );
        assert.equal(containerOf(resources, "catbox").image, "ghcr.io/example/catbox@sha256:" + "a".repeat(64));
    });

    it("the reloader image is the pinned busybox, copied into the stack's registry, and the pods pull that copy by digest", async () => {
        const { resources } = await run();
        const copy = one(resources, T.image, "catbox-reloader").inputs;
        assert.match(copy.build.args.BASE, /^busybox:[\d.]+@sha256:[0-9a-f]{64}$/);
        assert.equal(path.basename(copy.build.dockerfile), "reloader.Dockerfile");
        assert.match(copy.imageName, /^us-west1-docker\.pkg\.dev\/my-irc-project\/catbox\/reloader:/);
        const reloader = containerOf(resources, "reloader");
        assert.match(reloader.image, /^us-west1-docker\.pkg\.dev\/my-irc-project\/catbox\/reloader@sha256:[0-9a-f]{64}$/);
        const dockerfile = readFileSync(path.join(__dirname, "..", "..", copy.build.dockerfile), "utf8")
            .split("\n")
            .filter((l) => l.trim() && !l.startsWith("#"));
        assert.deepEqual(
            dockerfile.filter((l) => l.startsWith("FROM ")),
            ["FROM ${BASE}"],
        );
    });

    it("every base image is pinned by digest", () => {
        const dockerfile = readFileSync(path.join(__dirname, "..", "..", "configs", "Dockerfile"), "utf8");
        const froms = dockerfile.split("\n").filter((l) => l.startsWith("FROM "));
        assert.equal(froms.length, 2);
        for (const from of froms) assert.match(from, /^FROM \S+:\S+@sha256:[0-9a-f]{64}( AS \w+)?$/);
    });

    it("the Dockerfile pins catbox, applies the project's patches, builds it static, and runs it as the pods' non-root user", () => {
        const dockerfile = readFileSync(path.join(__dirname, "..", "..", "configs", "Dockerfile"), "utf8");
        const instructions = dockerfile.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
        const text = instructions.join("\n");
        assert.match(text, /go mod download -json "github\.com\/horgh\/catbox@\$\{CATBOX_VERSION\}"/);
        // Every patch in configs/patches/ (the tests build the same daemon), in name order, before the build.
        assert.ok(instructions.includes("COPY patches/ /patches/"));
        assert.match(text, /for p in \/patches\/\*\.patch; do git apply [^;]*"\$p"; done[\s\S]*CGO_ENABLED=0 [^\n]*go build -trimpath/);
        assert.ok(!/@master|@latest/.test(instructions.join("\n")));
        assert.equal(instructions.filter((l) => l.startsWith("FROM ")).length, 2, "multi-stage");
        assert.ok(instructions.includes(`USER ${runAsUser}:${runAsUser}`));
        assert.ok(instructions.some((l) => l.startsWith("ENTRYPOINT [") && l.includes("catbox")));
    });
});

describe("dependencies: the first deploy's critical path is cluster -> node pool -> workloads", () => {
    it("nothing of the image chain, the IP or the generated secrets waits for the cluster, nor the cluster for them", async () => {
        const { resources } = await run();
        const cluster = one(resources, T.cluster);
        const nodePool = one(resources, T.nodePool);
        const imageChain = [one(resources, T.repository), one(resources, T.repositoryIam), ...byType(resources, T.image)];
        const independent = [...imageChain, one(resources, T.address), one(resources, T.randomPassword), one(resources, T.selfSignedCert)];
        for (const r of independent) {
            const closure = dependencyClosure(resources, r);
            assert.ok(!closure.has(cluster.urn) && !closure.has(nodePool.urn), `${r.name} waits for the cluster`);
        }
        for (const infra of [cluster, nodePool]) {
            const closure = dependencyClosure(resources, infra);
            for (const r of imageChain) assert.ok(!closure.has(r.urn), `${infra.name} waits for ${r.name}`);
        }
    });

    it("every Kubernetes object waits for the node pool, and the StatefulSet for the image's reader binding", async () => {
        const { resources } = await run();
        const nodePool = one(resources, T.nodePool);
        const k8s = resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
        assert.ok(k8s.length >= 8);
        for (const r of k8s) assert.ok(dependencyClosure(resources, r).has(nodePool.urn), `${r.name} does not wait for the nodes`);
        assert.ok(dependencyClosure(resources, one(resources, T.statefulSet)).has(one(resources, T.repositoryIam).urn));
    });
});

describe("an alert when the network is down", () => {
    it("an uptime check connects to the client port on the static IP, and the policy on it emails adminEmail", async () => {
        const { resources } = await run({ adminEmail: "ops@example.org", clientPort: "6697" });
        const check = one(resources, T.uptimeCheck).inputs;
        assert.deepEqual(check.tcpCheck, { port: 6697 });
        assert.deepEqual(check.monitoredResource, { type: "uptime_url", labels: { project_id: "my-irc-project", host: "203.0.113.7" } });
        const channel = one(resources, T.notificationChannel).inputs;
        assert.deepEqual([channel.type, channel.labels.email_address], ["email", "ops@example.org"]);
        const policy = one(resources, T.alertPolicy, "uptime-policy").inputs;
        const [condition] = policy.conditions;
        assert.match(condition.conditionThreshold.filter, /metric\.type="monitoring\.googleapis\.com\/uptime_check\/check_passed"/);
        // The policy watches this check: the check's id (the mock's, derived from its inputs) is in the filter.
        const checkId = /metric\.label\.check_id="([^"]+)"/.exec(condition.conditionThreshold.filter)![1];
        assert.ok(checkId.startsWith("uptime-check-"), checkId);
        assert.equal(condition.conditionThreshold.aggregations[0].crossSeriesReducer, "REDUCE_COUNT_FALSE");
        // It fires when more than one checker location counts a failure, not while checks pass.
        assert.deepEqual([condition.conditionThreshold.comparison, condition.conditionThreshold.thresholdValue], ["COMPARISON_GT", 1]);
        assert.equal(policy.notificationChannels.length, 1);
        assert.match(policy.notificationChannels[0], /^projects\/my-irc-project\/notificationChannels\//);
    });

    it("alertEmail wins over adminEmail; with neither, no channel; uptimeAlert false, no uptime check (the prober's alerts stay)", async () => {
        const email = async (v: Record<string, string>) =>
            byType((await run(v)).resources, T.notificationChannel).map((c) => c.inputs.labels.email_address);
        assert.deepEqual(await email({ adminEmail: "ops@example.org", alertEmail: "pager@example.org" }), ["pager@example.org"]);
        assert.deepEqual(await email({}), []);
        for (const p of byType((await run()).resources, T.alertPolicy)) assert.deepEqual(p.inputs.notificationChannels ?? [], [], p.name);
        const off = (await run({ uptimeAlert: "false", adminEmail: "ops@example.org" })).resources;
        assert.equal(byType(off, T.uptimeCheck).length, 0);
        assert.equal(byType(off, T.alertPolicy).filter((p) => p.name.startsWith("uptime")).length, 0);
        assert.ok(byType(off, T.alertPolicy).length > 0, "the prober's alerts do not depend on the uptime check");
    });
});

describe("npm run registry-host", () => {
    it("names the host the stack's images are pushed to, for every region the stack may take", async () => {
        for (const region of [undefined, "europe-west4"]) {
            const dir = mkdtempSync(path.join(tmpdir(), "catbox-registry-"));
            try {
                copyFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
                const prod = readFileSync(path.join(__dirname, "..", "..", "Pulumi.prod.yaml"), "utf8");
                writeFileSync(
                    path.join(dir, "Pulumi.prod.yaml"),
                    region ? prod.replace(/gcp:region: .*/, `gcp:region: ${region}`).replace(/(clusterLocation: )[a-z0-9-]+/, `$1${region}-a`) : prod,
                );
                const host = stackRegistryHost("prod", dir);
                const { config, secretKeys } = readStackFile("prod", dir);
                const { resources } = await runOffline({ config, secretKeys, stack: "prod" });
                for (const image of byType(resources, T.image)) {
                    assert.ok(String(image.inputs.imageName).startsWith(`${host}/`), `${image.inputs.imageName} vs ${host}`);
                }
                assert.equal(host, `${region ?? "us-west1"}-docker.pkg.dev`);
                // As CI names it (the README's PULUMI_STACKS): with its organization, and its project.
                assert.equal(stackRegistryHost("my-org/prod", dir), host);
                assert.equal(stackRegistryHost("my-org/catbox-gke/prod", dir), host);
                for (const bad of ["my-org/other-project/prod", "a/b/c/prod", "my-org/", "my org/prod"]) {
                    assert.throws(() => stackRegistryHost(bad, dir), /is not a stack of catbox-gke|no stack file/, bad);
                }
            } finally {
                rmSync(dir, { recursive: true, force: true });
            }
        }
    });
});
