// IRC services under Pulumi's mock engine: what `up` creates for them on each
// platform, their inputs, secrets and options; off by default.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { servicesSelector } from "../../components/services/ircServices";
import { byType, one, type Registered, run, T } from "../support/helpers";

const gke = { services: "true", opers: '{"alice":"Alice-oper-pass1"}' };
const kubeconfig = { platform: "kubeconfig", image: "catbox:1", services: "true", servicesImage: "catbox-services:dev" };
const named = (rs: Registered[], type: string, name: string) => {
    const found = byType(rs, type).find((r) => r.name === name);
    if (!found) throw new Error(`no ${type} ${name}`);
    return found;
};

describe("IRC services' resources", () => {
    it("are off by default: nothing of theirs, and no daemon lists them", async () => {
        const { resources } = await run({});
        assert.deepEqual(
            resources.filter((r) => /services/.test(r.name)).map((r) => r.name),
            [],
        );
        assert.doesNotMatch(JSON.stringify(one(resources, T.secret).inputs.stringData), /services\./);
    });

    it("every daemon of the region lists them, and the daemons' policy admits their pod on the link port", async () => {
        const { resources } = await run(gke, ["opers"]);
        const files = named(resources, T.secret, "irc-config").inputs.stringData;
        for (const n of [0, 1]) assert.match(files[`servers-${n}.conf`], /^services\.example\.org = 127\.0\.0\.1,1,[0-9a-f]{40},0$/m);
        const policy = named(resources, T.networkPolicy, "irc-network-policy").inputs.spec;
        assert.ok(policy.ingress[0].from.some((f: any) => isDeepStrictEqual(f.podSelector.matchLabels, servicesSelector("catbox"))));
    });

    it("atheme.conf is a Pulumi secret (it holds the link passwords), linking in to each daemon of the region, daemon 0 first", async () => {
        const { resources } = await run(gke, ["opers"]);
        const secret = named(resources, T.secret, "services-atheme");
        assert.deepEqual(secret.secretInputs, ["stringData"]);
        const conf: string = secret.inputs.stringData["atheme.conf"];
        const uplinks = [...conf.matchAll(/^uplink "([^"]+)" \{\n\thost = "([^"]+)";/gm)].map((m) => [m[1], m[2]]);
        assert.deepEqual(uplinks, [
            ["irc0.example.org", "catbox-0.irc.svc.cluster.local"],
            ["irc1.example.org", "catbox-1.irc.svc.cluster.local"],
        ]);
        // catbox's opers are services' operators.
        assert.match(conf, /^operator "alice" \{$/m);
        // The daemons' files hold the same pair's password.
        const files = named(resources, T.secret, "irc-config").inputs.stringData;
        const password = /^services\.example\.org = [^,]+,1,([0-9a-f]{40}),0$/m.exec(files["servers-0.conf"])![1];
        assert.ok(conf.includes(`send_password = "${password}";`));
    });

    it("their data on a volume that outlives the pod; one atheme at a time; non-root on a read-only root", async () => {
        const { resources } = await run(gke, ["opers"]);
        const claim = byType(resources, "kubernetes:core/v1:PersistentVolumeClaim")[0];
        assert.deepEqual(claim.inputs.spec.accessModes, ["ReadWriteOnce"]);
        const deployment = named(resources, T.deployment, "services-deployment").inputs.spec;
        assert.equal(deployment.strategy.type, "Recreate");
        const pod = deployment.template.spec;
        assert.equal(pod.volumes.find((v: any) => v.name === "data").persistentVolumeClaim.claimName, "catbox-services-data");
        for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
            assert.equal(c.securityContext.readOnlyRootFilesystem, true, c.name);
            assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] }, c.name);
        }
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.match(pod.containers[0].image, /\/services@sha256:/);
    });

    it("on GKE: a versioned bucket, kept by destroy unless told, written by the pod alone through Workload Identity; restore before atheme, backup beside it", async () => {
        const { resources } = await run(gke, ["opers"]);
        const bucket = byType(resources, "gcp:storage/bucket:Bucket")[0];
        assert.deepEqual(bucket.inputs.versioning, { enabled: true });
        assert.equal(bucket.inputs.uniformBucketLevelAccess, true);
        assert.equal(bucket.inputs.publicAccessPrevention, "enforced");
        assert.equal(bucket.retainOnDelete, true);
        assert.equal(bucket.inputs.forceDestroy, false);
        const member = byType(resources, "gcp:storage/bucketIAMMember:BucketIAMMember")[0];
        assert.equal(member.inputs.role, "roles/storage.objectUser");
        const wi = byType(resources, T.serviceAccountIam).find((r) => r.name === "services-backup-workload-identity")!;
        assert.match(wi.inputs.member, /\[irc\/catbox-services\]$/);
        const pod = named(resources, T.deployment, "services-deployment").inputs.spec.template.spec;
        assert.deepEqual(
            pod.initContainers.map((c: any) => c.command),
            [["services-backup", "restore"]],
        );
        assert.deepEqual(
            pod.containers.map((c: any) => c.name),
            ["atheme", "backup-watch"],
        );
        const account = byType(resources, "kubernetes:core/v1:ServiceAccount").find((a) => a.name === "services-account")!;
        assert.match(
            account.inputs.metadata.annotations["iam.gke.io/gcp-service-account"],
            /^catbox-services@my-irc-project\.iam\.gserviceaccount\.com$/,
        );

        const off = await run({ ...gke, keepServicesBackup: "false" }, ["opers"]);
        const gone = byType(off.resources, "gcp:storage/bucket:Bucket")[0];
        assert.equal(gone.retainOnDelete, false);
        assert.equal(gone.inputs.forceDestroy, true);
    });

    it("on kubeconfig: the given image and the volume, no bucket, no backup", async () => {
        const { resources } = await run(kubeconfig);
        const pod = named(resources, T.deployment, "services-deployment").inputs.spec.template.spec;
        assert.equal(pod.containers[0].image, "catbox-services:dev");
        assert.deepEqual(
            pod.containers.map((c: any) => c.name),
            ["atheme"],
        );
        assert.equal(pod.initContainers, undefined);
        assert.equal(byType(resources, "gcp:storage/bucket:Bucket").length, 0);
    });

    it("the prober asks NickServ each round, and an alert and a chart follow its answer, where services run", async () => {
        const { resources } = await run(gke, ["opers"]);
        const prober = named(resources, T.deployment, "prober-deployment").inputs.spec.template.spec.containers[0];
        assert.deepEqual(
            prober.env.find((e: any) => e.name === "PROBER_SERVICES"),
            { name: "PROBER_SERVICES", value: "1" },
        );
        assert.ok(byType(resources, T.alertPolicy).some((p) => /NickServ/.test(p.inputs.displayName)));
        assert.match(one(resources, T.dashboard).inputs.dashboardJson, /catbox_services_up/);
        const off = await run({});
        const offProber = named(off.resources, T.deployment, "prober-deployment").inputs.spec.template.spec.containers[0];
        assert.equal(
            offProber.env.find((e: any) => e.name === "PROBER_SERVICES"),
            undefined,
        );
        assert.ok(!byType(off.resources, T.alertPolicy).some((p) => /NickServ/.test(p.inputs.displayName)));
    });
});
