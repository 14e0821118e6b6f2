// IRC services on the cluster: one atheme pod (services/), linked in to this
// region's daemons over the link port, its database on a persistent volume that
// outlives the pod and the node, and on GKE a copy in a Cloud Storage bucket
// after every save, from which a new stack or a lost volume restores.
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { restrictedContainer, restrictedPod } from "../network/podSecurity";
import { servicesSize } from "../catbox/sizing";
import { athemeDataDir, type AthemeSpec, renderAthemeConf } from "./atheme";

/** The services' pod labels: the daemons' NetworkPolicy admits these on the link port. */
export function servicesSelector(networkName: string): Record<string, string> {
    return { "app.kubernetes.io/name": "catbox-services", "app.kubernetes.io/instance": networkName };
}

/** The image: built from its own folder where the platform builds images. */
export const servicesImageSource = { name: "services", dir: "services" };

/** Where the copy goes (GKE): the bucket, and the Google account the pod acts as to write it (Workload Identity). */
export interface ServicesBackupTarget {
    bucket: pulumi.Input<string>;
    gcpServiceAccount: pulumi.Input<string>;
}

/** The Kubernetes account the services pod runs as, which Workload Identity maps to the backup's Google account. */
export const servicesServiceAccount = (networkName: string) => `${networkName}-services`;

export interface IrcServicesArgs {
    networkName: string;
    namespace: pulumi.Input<string>;
    image: pulumi.Input<string>;
    /** atheme.conf's spec, its link secret still a secret. */
    atheme: Omit<AthemeSpec, "linkSecret">;
    linkSecret: pulumi.Input<string>;
    /** The database's volume: its size, and its StorageClass where not the cluster's default. */
    volume: { sizeGi: number; storageClass?: string };
    backup?: ServicesBackupTarget;
    provider: k8s.Provider;
}

export class IrcServices extends pulumi.ComponentResource {
    readonly secret: k8s.core.v1.Secret;
    readonly volume: k8s.core.v1.PersistentVolumeClaim;
    readonly serviceAccount: k8s.core.v1.ServiceAccount;
    readonly deployment: k8s.apps.v1.Deployment;
    readonly networkPolicy: k8s.networking.v1.NetworkPolicy;

    constructor(name: string, args: IrcServicesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:IrcServices", name, {}, opts);
        const net = args.networkName;
        const childOpts = { parent: this, provider: args.provider };
        const selector = servicesSelector(net);
        const labels = { ...selector, "app.kubernetes.io/managed-by": "pulumi" };
        const metadata = { name: `${net}-services`, namespace: args.namespace, labels };

        const conf = pulumi.output(args.linkSecret).apply((linkSecret) => renderAthemeConf({ ...args.atheme, linkSecret }));
        this.secret = new k8s.core.v1.Secret(
            `${name}-atheme`,
            { metadata, type: "Opaque", stringData: pulumi.secret(conf.apply((c) => ({ "atheme.conf": c }))) },
            childOpts,
        );
        // Its data outlives the pod, the node and `up`s: only a destroy of the stack deletes it (the bucket's copy stays).
        this.volume = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-data`,
            {
                metadata: { ...metadata, name: `${net}-services-data` },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    resources: { requests: { storage: `${args.volume.sizeGi}Gi` } },
                    ...(args.volume.storageClass && { storageClassName: args.volume.storageClass }),
                },
            },
            childOpts,
        );
        this.serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-account`,
            {
                metadata: {
                    ...metadata,
                    name: servicesServiceAccount(net),
                    ...(args.backup && { annotations: { "iam.gke.io/gcp-service-account": args.backup.gcpServiceAccount } }),
                },
                automountServiceAccountToken: false,
            },
            childOpts,
        );
        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata,
                spec: {
                    replicas: 1,
                    // One atheme on the volume at a time: the old pod goes before the new one starts.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: selector },
                    template: servicesPod(args, labels, conf, {
                        secret: this.secret.metadata.name,
                        volume: this.volume.metadata.name,
                        account: this.serviceAccount.metadata.name,
                    }),
                },
            },
            childOpts,
        );
        // Nothing connects to services: they link out to the daemons.
        this.networkPolicy = new k8s.networking.v1.NetworkPolicy(
            `${name}-network-policy`,
            { metadata, spec: { podSelector: { matchLabels: selector }, policyTypes: ["Ingress"] } },
            childOpts,
        );
        this.registerOutputs({ deploymentName: this.deployment.metadata.name });
    }
}

/** The user services/Dockerfile names, by number. */
const servicesUser = 10001;

/**
 * atheme, its database on the volume; on GKE the bucket's copy restored first
 * onto an empty volume, and each save copied there by the backup beside it.
 */
function servicesPod(
    args: IrcServicesArgs,
    labels: Record<string, string>,
    conf: pulumi.Output<string>,
    names: { secret: pulumi.Input<string>; volume: pulumi.Input<string>; account: pulumi.Input<string> },
) {
    const data = { name: "data", mountPath: athemeDataDir };
    const backupEnv = args.backup
        ? [
              { name: "BUCKET", value: args.backup.bucket },
              { name: "DATA_DIR", value: athemeDataDir },
          ]
        : [];
    const backup = (command: string, extra: object = {}) => ({
        name: `backup-${command}`,
        image: args.image,
        command: ["services-backup", command],
        env: backupEnv,
        volumeMounts: [data],
        resources: { requests: { cpu: "5m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
        securityContext: restrictedContainer,
        ...extra,
    });
    return {
        // A new atheme.conf is read only at start (or on REHASH): its checksum rolls the pod.
        metadata: { labels, annotations: { "catbox-gke/config-checksum": conf.apply((c) => createHash("sha256").update(c).digest("hex")) } },
        spec: {
            serviceAccountName: names.account,
            automountServiceAccountToken: false,
            securityContext: restrictedPod(servicesUser, true),
            ...(args.backup && { initContainers: [backup("restore")] }),
            containers: [
                {
                    name: "atheme",
                    image: args.image,
                    args: ["-c", "/etc/atheme/atheme.conf", "-D", athemeDataDir, "-p", "/tmp/atheme.pid", "-l", "/dev/null"],
                    volumeMounts: [data, { name: "config", mountPath: "/etc/atheme", readOnly: true }, { name: "tmp", mountPath: "/tmp" }],
                    resources: {
                        requests: { cpu: `${servicesSize.cpuRequestMilli}m`, memory: `${servicesSize.memoryMiB}Mi` },
                        limits: { cpu: `${servicesSize.cpuLimitMilli}m`, memory: `${servicesSize.memoryLimitMiB}Mi` },
                    },
                    securityContext: restrictedContainer,
                },
                ...(args.backup ? [backup("watch")] : []),
            ],
            volumes: [
                { name: "data", persistentVolumeClaim: { claimName: names.volume } },
                { name: "config", secret: { secretName: names.secret } },
                { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
            ],
        },
    };
}
