// The GCP layer (design §5) under Pulumi's mock engine.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { nodeRoles } from "../components/cluster";
import { runAsUser } from "../components/ircNetwork";
import { byType, dependencyClosure, one, Registered, run } from "./helpers";

const T = {
    cluster: "gcp:container/cluster:Cluster",
    nodePool: "gcp:container/nodePool:NodePool",
    serviceAccount: "gcp:serviceaccount/account:Account",
    projectRole: "gcp:projects/iAMMember:IAMMember",
    address: "gcp:compute/address:Address",
    repository: "gcp:artifactregistry/repository:Repository",
    repoReader: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
    image: "docker:index/image:Image",
    provider: "pulumi:providers:kubernetes",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
};

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

    it("the node service account has only logging, monitoring and read access to the repository", async () => {
        const { resources } = await run();
        const member = `serviceAccount:${one(resources, T.serviceAccount).inputs.accountId}@my-irc-project.iam.gserviceaccount.com`;
        const roles = byType(resources, T.projectRole);
        assert.deepEqual(roles.map((r) => r.inputs.role).sort(), [...nodeRoles].sort());
        for (const r of roles) assert.equal(r.inputs.member, member);
        for (const role of nodeRoles) assert.match(role, /^roles\/(logging|monitoring|stackdriver)\./);
        const reader = one(resources, T.repoReader).inputs;
        assert.equal(reader.role, "roles/artifactregistry.reader");
        assert.equal(reader.member, member);
        assert.equal(reader.repository, "catbox");
    });
});

describe("the Kubernetes provider", () => {
    it("uses gke-gcloud-auth-plugin, holds no credential, and is the same on every run", async () => {
        const [a, b] = [await run(), await run()];
        const pa = one(a.resources, T.provider);
        const kubeconfig = JSON.parse(pa.inputs.kubeconfig);
        const user = kubeconfig.users[0].user;
        assert.equal(user.exec.command, "gke-gcloud-auth-plugin");
        assert.deepEqual(Object.keys(user), ["exec"], "no token, password or client key");
        assert.ok(!/token|password|client-key/i.test(JSON.stringify(kubeconfig.clusters)));
        assert.equal(kubeconfig.clusters[0].cluster.server, "https://203.0.113.10");
        assert.equal(pa.inputs.kubeconfig, one(b.resources, T.provider).inputs.kubeconfig);
        assert.deepEqual(pa.secretInputs, ["kubeconfig"]);
        assert.equal(a.outputs.kubeconfig, pa.inputs.kubeconfig);
        assert.ok(a.secretOutputs.includes("kubeconfig"));
    });

    it("sets clusterIdentifier to the cluster and enableSecretMutable", async () => {
        const { resources } = await run();
        const p = one(resources, T.provider).inputs;
        assert.equal(p.clusterIdentifier, "projects/my-irc-project/locations/us-west1-a/clusters/catbox");
        assert.equal(p.enableSecretMutable, "true");
    });
});

describe("the static IP", () => {
    it("is regional, external and protected, and exported with a ready-to-paste ircs:// address", async () => {
        const { resources, outputs } = await run({ clientPort: "6697" });
        const ip = one(resources, T.address);
        assert.equal(ip.protect, true);
        assert.equal(ip.inputs.region, "us-west1");
        assert.equal(ip.inputs.addressType, "EXTERNAL");
        assert.equal(outputs.clientIp, "203.0.113.7");
        assert.equal(outputs.ircUrl, "ircs://203.0.113.7:6697");
        const client = resources.find((r) => r.type === "kubernetes:core/v1:Service" && r.inputs.spec.type === "LoadBalancer")!;
        assert.equal(client.inputs.spec.loadBalancerIP, "203.0.113.7");
    });
});

describe("the registry and the image", () => {
    it("a Docker repository, and the image built from configs/Dockerfile for linux/amd64, not on preview", async () => {
        const { resources } = await run({ catboxVersion: "v1.12.0" });
        const repo = one(resources, T.repository).inputs;
        assert.equal(repo.format, "DOCKER");
        assert.equal(repo.location, "us-west1");
        const image = one(resources, T.image).inputs;
        assert.equal(image.imageName, "us-west1-docker.pkg.dev/my-irc-project/catbox/catbox:v1.12.0");
        assert.equal(image.build.platform, "linux/amd64");
        assert.equal(path.basename(image.build.dockerfile), "Dockerfile");
        assert.equal(path.basename(image.build.context), "configs");
        assert.deepEqual(image.build.args, { CATBOX_VERSION: "v1.12.0" });
        assert.equal(image.buildOnPreview, false);
    });

    it("the pods run the image by digest, and a new build changes it", async () => {
        const a = await run();
        const b = await run({ catboxVersion: "v1.12.0" });
        const imageOf = (rs: Registered[]) => one(rs, T.statefulSet).inputs.spec.template.spec.containers[0].image;
        assert.match(imageOf(a.resources), /^us-west1-docker\.pkg\.dev\/my-irc-project\/catbox\/catbox@sha256:[0-9a-f]{64}$/);
        assert.notEqual(imageOf(a.resources), imageOf(b.resources));
        assert.equal(imageOf(a.resources), imageOf((await run()).resources));
    });

    it("a prebuilt image skips the registry and the build", async () => {
        const { resources } = await run({ image: "ghcr.io/example/catbox@sha256:" + "a".repeat(64) });
        assert.equal(byType(resources, T.image).length + byType(resources, T.repository).length, 0);
        assert.equal(one(resources, T.statefulSet).inputs.spec.template.spec.containers[0].image, "ghcr.io/example/catbox@sha256:" + "a".repeat(64));
    });

    it("the Dockerfile pins catbox, builds it static, and runs it as the pods' non-root user", () => {
        const dockerfile = readFileSync(path.join(__dirname, "..", "configs", "Dockerfile"), "utf8");
        const instructions = dockerfile.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
        assert.ok(instructions.some((l) => /CGO_ENABLED=0 .*go install .*"github\.com\/horgh\/catbox@\$\{CATBOX_VERSION\}"/.test(l)));
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
        const imageChain = [one(resources, T.repository), one(resources, T.repoReader), one(resources, T.image)];
        const independent = [...imageChain, one(resources, T.address),
            one(resources, "random:index/randomPassword:RandomPassword"), one(resources, "tls:index/selfSignedCert:SelfSignedCert")];
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
        assert.ok(dependencyClosure(resources, one(resources, T.statefulSet)).has(one(resources, T.repoReader).urn));
    });
});
