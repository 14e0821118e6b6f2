// The CI deployer's roles, as the README's CI section grants them, against every
// GCP resource type the committed gke stacks register (the shared name's owner
// and a peer region's hubs included): a type that no granted role manages makes
// CI's `up` fail the first time it changes one.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { runOffline } from "../../harness/offline/engine";
import { readStackFile } from "../../harness/offline/stack";

const ciSection = readFileSync(path.join(__dirname, "..", "..", "docs", "ci.md"), "utf8");

/** The roles that manage each type (Google's predefined roles' permissions), any one of which will do. */
const managedBy: Record<string, string[]> = {
    "gcp:artifactregistry/repository:Repository": ["roles/artifactregistry.admin"],
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": ["roles/artifactregistry.admin"],
    "gcp:compute/address:Address": ["roles/compute.networkAdmin"],
    "gcp:compute/healthCheck:HealthCheck": ["roles/compute.networkAdmin"],
    "gcp:container/cluster:Cluster": ["roles/container.admin"],
    "gcp:container/nodePool:NodePool": ["roles/container.admin"],
    "gcp:dns/recordSet:RecordSet": ["roles/dns.admin"],
    "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember": ["roles/dns.admin"],
    "gcp:monitoring/alertPolicy:AlertPolicy": ["roles/monitoring.alertPolicyEditor", "roles/monitoring.editor"],
    "gcp:monitoring/dashboard:Dashboard": ["roles/monitoring.dashboardEditor", "roles/monitoring.editor"],
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": ["roles/monitoring.uptimeCheckConfigEditor", "roles/monitoring.editor"],
    "gcp:monitoring/notificationChannel:NotificationChannel": ["roles/monitoring.notificationChannelEditor", "roles/monitoring.editor"],
    "gcp:projects/iAMMember:IAMMember": ["roles/resourcemanager.projectIamAdmin"],
    "gcp:storage/bucket:Bucket": ["roles/storage.admin"],
    "gcp:storage/bucketIAMMember:BucketIAMMember": ["roles/storage.admin"],
};
/**
 * Types CI only reads: service accounts and their IAM, which an account that may
 * change them could use to act as any account of the project. The first `up`
 * runs from the operator's machine (the README says so), and so does any change
 * to these.
 */
const operatorOnly = ["gcp:serviceaccount/account:Account", "gcp:serviceaccount/iAMMember:IAMMember"];

/** Every GCP type a committed gke stack registers, with every optional part on. */
async function gcpTypes(): Promise<Set<string>> {
    const types = new Set<string>();
    const extra = {
        "catbox-gke:sharedHostname": "irc.example.org",
        "catbox-gke:sharedNameOwner": "true",
        "catbox-gke:alertEmail": "pager@irc-operators.net",
        "catbox-gke:webClient": "true",
        "catbox-gke:services": "true",
    };
    for (const [stack, values] of [
        ["prod", {}],
        ["prod-us", extra],
    ] as const) {
        const file = readStackFile(stack);
        const run = await runOffline({ config: { ...file.config, ...values }, secretKeys: file.secretKeys, stack });
        for (const r of run.resources) if (r.type.startsWith("gcp:")) types.add(r.type);
    }
    return types;
}

describe("the README's CI roles", () => {
    it("cover every GCP type the stacks register, or say the operator's machine manages it", async () => {
        const types = await gcpTypes();
        assert.ok(types.has("gcp:monitoring/dashboard:Dashboard") && types.has("gcp:compute/healthCheck:HealthCheck"), [...types].join(", "));
        const granted = new Set(ciSection.match(/roles\/[\w.]+/g) ?? []);
        const uncovered = [...types].filter((t) => !operatorOnly.includes(t) && !(managedBy[t] ?? []).some((role) => granted.has(role)));
        assert.deepEqual(uncovered, [], "types no role the README grants CI manages (or a type this test does not know)");
        assert.match(ciSection, /first `pulumi up` of a stack therefore runs from your machine/);
    });
});
