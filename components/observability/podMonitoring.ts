// Managed Service for Prometheus' collection of a workload's metrics (GKE):
// a PodMonitoring beside its Deployment, scraping the port named "metrics".
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

export interface PodMonitoringArgs {
    metadata: { name: string; namespace: pulumi.Input<string>; labels: Record<string, string> };
    selector: Record<string, string>;
    /** Where on the "metrics" port (default /metrics), and how often. */
    path?: string;
    intervalSeconds: number;
    /** What it scrapes: collected once that exists. */
    deployment: k8s.apps.v1.Deployment;
}

export function podMonitoring(name: string, a: PodMonitoringArgs, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(
        name,
        {
            apiVersion: "monitoring.googleapis.com/v1",
            kind: "PodMonitoring",
            metadata: a.metadata,
            spec: {
                selector: { matchLabels: a.selector },
                endpoints: [{ port: "metrics", ...(a.path !== undefined && { path: a.path }), interval: `${a.intervalSeconds}s` }],
            },
        },
        { ...opts, dependsOn: [a.deployment] },
    );
}
