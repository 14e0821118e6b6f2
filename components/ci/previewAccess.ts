// What CI's preview account may do in the cluster: read the network's own
// objects, and nothing else. pulumi-kubernetes previews a new or changed object
// by a server-side dry run, which Kubernetes authorizes as the write it
// rehearses; but when that dry run is forbidden, the provider computes the
// preview on the client instead (provider.go, Create and Update: "unable to
// compute Server-side dry-run and defaulting to client-side"), and a Helm
// release's preview is a client-only render. So a pull request's preview needs
// no write at all, and gets none: a pull request can never change the cluster.
// What it does need is to read what the stack made, for a refreshed preview
// (the daily drift check): the kinds of object the stack makes, in this
// network's namespace and cert-manager's (Helm's release records are Secrets),
// and its own cluster-scoped objects by name. Its other reads come from GKE's
// mapping of its one project role, Viewer (granted outside the stack: see the
// README's CI section), which reads no Secret.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface PreviewAccessArgs {
    /** The preview account's email: GKE names a Google service account so in RBAC. */
    serviceAccount: string;
    networkName: string;
    /** The network's namespace, and cert-manager's where the stack installs it. */
    namespaces: pulumi.Input<string>[];
    /** Cluster-scoped objects the stack makes, by kind: their names. */
    clusterScoped: { namespaces: pulumi.Input<string>[]; clusterIssuers: pulumi.Input<string>[] };
    provider: k8s.Provider;
}

const readVerbs = ["get", "list", "watch"];
/** The kinds the stack makes in a namespace (and Helm's release records, which are Secrets). */
const namespacedKinds = [
    { apiGroups: [""], resources: ["secrets", "configmaps", "services", "serviceaccounts", "persistentvolumeclaims"] },
    { apiGroups: ["apps"], resources: ["statefulsets", "deployments"] },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"] },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"] },
    { apiGroups: ["cert-manager.io"], resources: ["certificates"] },
    { apiGroups: ["monitoring.googleapis.com"], resources: ["podmonitorings"] },
];

export class PreviewAccess extends pulumi.ComponentResource {
    readonly reads: k8s.rbac.v1.RoleBinding[];
    readonly clusterRead: k8s.rbac.v1.ClusterRoleBinding;

    constructor(name: string, args: PreviewAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:PreviewAccess", name, {}, opts);
        const k8sOpts = { parent: this, provider: args.provider };
        const subjects = [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: args.serviceAccount }];
        const roleName = `${args.networkName}-preview`;

        const readRole = new k8s.rbac.v1.ClusterRole(
            `${name}-read`,
            { metadata: { name: `${roleName}-read` }, rules: namespacedKinds.map((k) => ({ ...k, verbs: readVerbs })) },
            k8sOpts,
        );
        // A ClusterRole bound per namespace: it holds in those namespaces only.
        this.reads = args.namespaces.map(
            (namespace, i) =>
                new k8s.rbac.v1.RoleBinding(
                    `${name}-read-${i}`,
                    { metadata: { name: `${roleName}-read`, namespace }, roleRef: clusterRoleRef(readRole.metadata.name), subjects },
                    k8sOpts,
                ),
        );

        const clusterRole = new k8s.rbac.v1.ClusterRole(
            `${name}-cluster-read`,
            {
                metadata: { name: `${roleName}-cluster-read` },
                rules: [
                    { apiGroups: [""], resources: ["namespaces"], resourceNames: args.clusterScoped.namespaces, verbs: ["get"] },
                    ...(args.clusterScoped.clusterIssuers.length
                        ? [
                              {
                                  apiGroups: ["cert-manager.io"],
                                  resources: ["clusterissuers"],
                                  resourceNames: args.clusterScoped.clusterIssuers,
                                  verbs: ["get"],
                              },
                          ]
                        : []),
                ],
            },
            k8sOpts,
        );
        this.clusterRead = new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-cluster-read`,
            { metadata: { name: `${roleName}-cluster-read` }, roleRef: clusterRoleRef(clusterRole.metadata.name), subjects },
            k8sOpts,
        );
        this.registerOutputs({});
    }
}

function clusterRoleRef(name: pulumi.Input<string>) {
    return { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name };
}
