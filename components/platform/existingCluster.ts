// Platform kubeconfig: the Kubernetes provider for a cluster the stack does not
// own (kind, minikube, k3d, or any cluster of yours).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ExistingClusterSource } from "../config/types";

export interface ExistingClusterArgs {
    /** The current context, a context by name, or the kubeconfig given. */
    source: ExistingClusterSource;
    /** With source "contents": the kubeconfig, a secret. */
    kubeconfig?: pulumi.Input<string>;
}

/** Platform kubeconfig: a provider for a cluster the stack does not own. */
export class ExistingCluster extends pulumi.ComponentResource {
    readonly provider: k8s.Provider;

    constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:ExistingCluster", name, {}, opts);
        const source = args.source;
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            {
                ...(source.kind === "context" ? { context: source.name } : {}),
                ...(source.kind === "contents" ? { kubeconfig: args.kubeconfig } : {}),
                enableSecretMutable: true,
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
