// Where IRC services' database is kept outside the cluster (GKE): a Cloud
// Storage bucket that keeps every version, written by the services pod alone,
// through Workload Identity (a Google account of its own, which the pod's
// Kubernetes account may act as).
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { serviceAccountId } from "../platform/gcpNames";
import { servicesServiceAccount, type ServicesBackupTarget } from "./ircServices";

export interface ServicesBackupArgs {
    project: string;
    region: string;
    networkName: string;
    namespace: string;
    /** `pulumi destroy` leaves the bucket, and every copy in it. */
    keep: boolean;
    /** The cluster's Workload Identity pool, from its own output. */
    workloadPool: pulumi.Input<string>;
}

/** Versions the bucket keeps of the database beside the current one: a month of saves a minute apart would be 43,200. */
export const keptVersions = 1000;

export class ServicesBackup extends pulumi.ComponentResource {
    readonly bucket: gcp.storage.Bucket;
    readonly account: gcp.serviceaccount.Account;
    readonly target: ServicesBackupTarget;

    constructor(name: string, args: ServicesBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:ServicesBackup", name, {}, opts);
        const parent = { parent: this };
        this.bucket = new gcp.storage.Bucket(
            `${name}-bucket`,
            {
                project: args.project,
                location: args.region.toUpperCase(),
                storageClass: "STANDARD",
                uniformBucketLevelAccess: true,
                publicAccessPrevention: "enforced",
                // Every save a version: a bad one (a mistaken DROP) is undone from the one before.
                versioning: { enabled: true },
                lifecycleRules: [{ action: { type: "Delete" }, condition: { numNewerVersions: keptVersions, withState: "ARCHIVED" } }],
                // With keep, a destroy leaves the bucket; without it, the destroy deletes it and its objects.
                forceDestroy: !args.keep,
            },
            { ...parent, retainOnDelete: args.keep },
        );
        this.account = new gcp.serviceaccount.Account(
            `${name}-account`,
            {
                project: args.project,
                accountId: serviceAccountId(args.networkName, "services"),
                displayName: `IRC services' backups of the ${args.networkName} IRC network`,
            },
            parent,
        );
        // Its objects, in this bucket only.
        new gcp.storage.BucketIAMMember(
            `${name}-writer`,
            { bucket: this.bucket.name, role: "roles/storage.objectUser", member: this.account.member },
            parent,
        );
        new gcp.serviceaccount.IAMMember(
            `${name}-workload-identity`,
            {
                serviceAccountId: this.account.name,
                role: "roles/iam.workloadIdentityUser",
                member: pulumi.interpolate`serviceAccount:${args.workloadPool}[${args.namespace}/${servicesServiceAccount(args.networkName)}]`,
            },
            parent,
        );
        this.target = { bucket: this.bucket.name, gcpServiceAccount: this.account.email };
        this.registerOutputs({ bucket: this.bucket.name });
    }
}
