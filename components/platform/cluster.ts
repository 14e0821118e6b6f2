// The article's `gcloud container clusters create`: a GKE cluster, its node pool and
// their service account, and the Kubernetes provider that deploys onto it.
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { nodesTotal } from "../catbox/sizing";
import { serviceAccountId } from "./gcpNames";

export interface GkeClusterArgs {
    project: string;
    /** A zone (zonal cluster) or a region (regional cluster: nodeCount nodes in each of its zones). */
    location: string;
    networkName: string;
    machineType: string;
    nodeCount: number;
    spotNodes: boolean;
    deletionProtection: boolean;
    /**
     * The CI deployer's service account: it may act as the nodes' service account
     * (which GKE requires of whoever changes a node pool), and as no other.
     */
    ciServiceAccount?: string;
    /** When GKE may upgrade nodes (restarting their daemons), and when it must not. */
    maintenance: Maintenance;
}

export interface Maintenance {
    /** RFC 5545 day codes, UTC: MO,TU,… */
    days: string;
    /** HH:MM, UTC. */
    start: string;
    hours: number;
    exclusions: { name: string; start: string; end: string; scope: string }[];
}

/**
 * A fixed first day for the weekly window: GKE takes the time of day and the
 * length from it, and the days from the recurrence. A date from the clock would
 * change the cluster's inputs on every run.
 */
const windowAnchorDay = "2025-01-06";

/** GKE's maintenance policy for a weekly window and its exclusions, in the UTC form GKE returns. */
export function maintenancePolicy(m: Maintenance) {
    const start = new Date(`${windowAnchorDay}T${m.start}:00Z`);
    const end = new Date(start.getTime() + m.hours * 3600e3);
    const utc = (d: Date) => d.toISOString().replace(".000Z", "Z");
    return {
        recurringWindow: { startTime: utc(start), endTime: utc(end), recurrence: `FREQ=WEEKLY;BYDAY=${m.days}` },
        maintenanceExclusions: m.exclusions.map((e) => ({
            exclusionName: e.name,
            startTime: e.start,
            endTime: e.end,
            exclusionOptions: { scope: e.scope },
        })),
    };
}

/** What GKE nodes need and nothing more: GKE's one role for node service accounts. */
const nodeRoles = ["roles/container.defaultNodeServiceAccount"];

/** A kubeconfig that holds no credential: kubectl and the provider ask gke-gcloud-auth-plugin. */
function gkeKubeconfig(clusterName: string, endpoint: string, caCertificate: string): string {
    const context = `gke_${clusterName}`;
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: context, cluster: { server: `https://${endpoint}`, "certificate-authority-data": caCertificate } }],
        contexts: [{ name: context, context: { cluster: context, user: context } }],
        "current-context": context,
        users: [
            {
                name: context,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "gke-gcloud-auth-plugin",
                        installHint:
                            "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin (or the google-cloud-cli-gke-gcloud-auth-plugin package)",
                        provideClusterInfo: true,
                        interactiveMode: "IfAvailable",
                    },
                },
            },
        ],
    });
}

export class GkeCluster extends pulumi.ComponentResource {
    readonly nodeServiceAccount: gcp.serviceaccount.Account;
    readonly nodeRoleBindings: gcp.projects.IAMMember[];
    readonly ciActAs?: gcp.serviceaccount.IAMMember;
    readonly cluster: gcp.container.Cluster;
    readonly nodePool: gcp.container.NodePool;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Output<string>;
    /**
     * The project's Workload Identity pool, `<project>.svc.id.goog`, as the cluster
     * reports it: GKE creates the pool with the project's first such cluster, so an
     * IAM binding that names it must wait for the cluster.
     */
    readonly workloadPool: pulumi.Output<string>;
    /** Nodes in the pool across all its zones. */
    readonly nodesTotal: number;

    constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:GkeCluster", name, {}, opts);
        const parent = { parent: this };

        // A service account of its own: the default compute one is project Editor.
        this.nodeServiceAccount = new gcp.serviceaccount.Account(
            `${name}-nodes`,
            {
                project: args.project,
                accountId: serviceAccountId(args.networkName, "nodes"),
                displayName: `GKE nodes of the ${args.networkName} IRC network`,
            },
            parent,
        );
        this.nodeRoleBindings = nodeRoles.map(
            (role) =>
                new gcp.projects.IAMMember(
                    `${name}-nodes-${role.split("/")[1]}`,
                    {
                        project: args.project,
                        role,
                        member: this.nodeServiceAccount.member,
                    },
                    parent,
                ),
        );

        if (args.ciServiceAccount) {
            this.ciActAs = new gcp.serviceaccount.IAMMember(
                `${name}-ci-act-as-nodes`,
                {
                    serviceAccountId: this.nodeServiceAccount.name,
                    role: "roles/iam.serviceAccountUser",
                    member: `serviceAccount:${args.ciServiceAccount}`,
                },
                parent,
            );
        }
        const nodeConfig = {
            serviceAccount: this.nodeServiceAccount.email,
            oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
        };

        this.cluster = new gcp.container.Cluster(`${name}-cluster`, clusterInputs(args, nodeConfig), {
            ...parent,
            dependsOn: this.nodeRoleBindings,
            // Read only when the cluster is created (it shapes the default pool, removed at once):
            // a change must never replace a running cluster.
            ignoreChanges: ["nodeConfig"],
        });

        this.nodePool = new gcp.container.NodePool(`${name}-nodes`, nodePoolInputs(args, this.cluster, nodeConfig), {
            ...parent,
            dependsOn: [...this.nodeRoleBindings, ...(this.ciActAs ? [this.ciActAs] : [])],
        });

        this.nodesTotal = nodesTotal(args.nodeCount, args.location);
        this.workloadPool = workloadPoolOf(this.cluster, args.networkName);
        this.kubeconfig = kubeconfigOf(this.cluster);

        this.provider = new k8s.Provider(
            `${name}-k8s`,
            {
                kubeconfig: this.kubeconfig,
                // Only a new cluster replaces the provider (and so every workload).
                clusterIdentifier: this.cluster.id,
                // Update the config Secret in place instead of replacing it under a new name.
                enableSecretMutable: true,
            },
            { ...parent, dependsOn: [this.nodePool] },
        );

        this.registerOutputs({ clusterName: this.cluster.name, kubeconfig: this.kubeconfig });
    }
}

/** The nodes' identity, as both the cluster's temporary default pool and the real pool run with it. */
interface NodeIdentity {
    serviceAccount: pulumi.Output<string>;
    oauthScopes: string[];
}

/** The cluster: the default pool removed, release channel, Workload Identity, Dataplane V2, managed Prometheus. */
function clusterInputs(args: GkeClusterArgs, nodeConfig: NodeIdentity): gcp.container.ClusterArgs {
    return {
        project: args.project,
        name: args.networkName,
        location: args.location,
        // The pool is managed on its own below, so that resizing it never touches the cluster.
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        // The temporary default pool runs as the nodes' account too, never as the
        // default compute account (project Editor).
        nodeConfig,
        releaseChannel: { channel: "REGULAR" },
        // Node upgrades restart daemons and drop their users: only in the operator's window.
        maintenancePolicy: maintenancePolicy(args.maintenance),
        workloadIdentityConfig: { workloadPool: `${args.project}.svc.id.goog` },
        // Dataplane V2 (Cilium): enforces NetworkPolicy. Needs VPC-native networking.
        datapathProvider: "ADVANCED_DATAPATH",
        networkingMode: "VPC_NATIVE",
        ipAllocationPolicy: {},
        // Google Cloud Managed Service for Prometheus collects the prober's metrics
        // (a PodMonitoring); GKE's own system metrics stay as they are. Changed in place.
        monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS"], managedPrometheus: { enabled: true } },
        deletionProtection: args.deletionProtection,
    };
}

/** The node pool: its size and machines, auto-repair and -upgrade one node at a time, shielded, GKE's metadata server. */
function nodePoolInputs(args: GkeClusterArgs, cluster: gcp.container.Cluster, nodeConfig: NodeIdentity): gcp.container.NodePoolArgs {
    return {
        project: args.project,
        cluster: cluster.name,
        location: cluster.location,
        nodeCount: args.nodeCount,
        management: { autoRepair: true, autoUpgrade: true },
        // One node at a time, added before one is removed: the PDB keeps the network up.
        upgradeSettings: { maxSurge: 1, maxUnavailable: 0 },
        nodeConfig: {
            machineType: args.machineType,
            spot: args.spotNodes,
            // catbox keeps nothing on disk: the smallest standard boot disk GKE's image wants.
            diskSizeGb: 20,
            diskType: "pd-standard",
            ...nodeConfig,
            workloadMetadataConfig: { mode: "GKE_METADATA" },
            shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
            labels: { "irc-network": args.networkName },
        },
    };
}

/** The cluster's Workload Identity pool, once the cluster reports it. */
function workloadPoolOf(cluster: gcp.container.Cluster, networkName: string): pulumi.Output<string> {
    return cluster.workloadIdentityConfig.apply((c) => {
        if (!c?.workloadPool) throw new Error(`cluster ${networkName} reports no Workload Identity pool`);
        return c.workloadPool;
    });
}

/** A kubeconfig for the cluster that holds no credential (gke-gcloud-auth-plugin gets a token), kept secret all the same. */
function kubeconfigOf(cluster: gcp.container.Cluster): pulumi.Output<string> {
    return pulumi.secret(
        pulumi
            .all([cluster.name, cluster.endpoint, cluster.masterAuth.clusterCaCertificate])
            .apply(([clusterName, endpoint, ca]) => gkeKubeconfig(clusterName, endpoint, ca ?? "")),
    );
}
