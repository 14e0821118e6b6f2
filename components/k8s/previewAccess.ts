// What CI's preview account may do in the cluster. `pulumi preview` of the
// network's Kubernetes objects is a server-side dry run (pulumi-kubernetes's
// server-side apply), and Kubernetes authorizes a dry run exactly as the write
// it rehearses: there is no read-only way to preview. So the preview account
// gets the writes a dry run needs on the kinds of object this stack makes, in
// this network's namespace and cert-manager's, and on its own cluster-scoped
// objects by name, and nothing else: no RBAC, no other namespace. Its reads
// come from GKE's mapping of its one project role, Viewer (granted outside the
// stack: see the README's CI section), which reads no Secret.
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

/** The verbs of a server-side dry-run apply, of a new object and of an existing one. */
const dryRunVerbs = ["create", "patch"];
const readVerbs = ["get", "list", "watch"];
/** The kinds the stack makes in a namespace (and Helm's release records, which are Secrets). */
const namespacedKinds = [
    { apiGroups: [""], resources: ["secrets", "configmaps", "services", "serviceaccounts"] },
    { apiGroups: ["apps"], resources: ["statefulsets", "deployments"] },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"] },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"] },
    { apiGroups: ["cert-manager.io"], resources: ["certificates"] },
    { apiGroups: ["monitoring.googleapis.com"], resources: ["podmonitorings"] },
];

export class PreviewAccess extends pulumi.ComponentResource {
    readonly dryRuns: k8s.rbac.v1.RoleBinding[];
    readonly clusterDryRun: k8s.rbac.v1.ClusterRoleBinding;

    constructor(name: string, args: PreviewAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:PreviewAccess", name, {}, opts);
        const k8sOpts = { parent: this, provider: args.provider };
        const subjects = [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: args.serviceAccount }];
        const roleName = `${args.networkName}-preview`;

        const dryRunRole = new k8s.rbac.v1.ClusterRole(
            `${name}-dry-run`,
            { metadata: { name: `${roleName}-dry-run` }, rules: namespacedKinds.map((k) => ({ ...k, verbs: [...readVerbs, ...dryRunVerbs] })) },
            k8sOpts,
        );
        // A ClusterRole bound per namespace: it holds in those namespaces only.
        this.dryRuns = args.namespaces.map(
            (namespace, i) =>
                new k8s.rbac.v1.RoleBinding(
                    `${name}-dry-run-${i}`,
                    { metadata: { name: `${roleName}-dry-run`, namespace }, roleRef: clusterRoleRef(dryRunRole.metadata.name), subjects },
                    k8sOpts,
                ),
        );

        const clusterRole = new k8s.rbac.v1.ClusterRole(
            `${name}-cluster-dry-run`,
            {
                metadata: { name: `${roleName}-cluster-dry-run` },
                rules: [
                    { apiGroups: [""], resources: ["namespaces"], resourceNames: args.clusterScoped.namespaces, verbs: ["patch"] },
                    ...(args.clusterScoped.clusterIssuers.length
                        ? [
                              {
                                  apiGroups: ["cert-manager.io"],
                                  resources: ["clusterissuers"],
                                  resourceNames: args.clusterScoped.clusterIssuers,
                                  verbs: ["patch"],
                              },
                          ]
                        : []),
                ],
            },
            k8sOpts,
        );
        this.clusterDryRun = new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-cluster-dry-run`,
            { metadata: { name: `${roleName}-cluster-dry-run` }, roleRef: clusterRoleRef(clusterRole.metadata.name), subjects },
            k8sOpts,
        );
        this.registerOutputs({});
    }
}

function clusterRoleRef(name: pulumi.Input<string>) {
    return { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name };
}
