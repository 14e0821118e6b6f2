// Seeing the network in Cloud Monitoring: who is told (an email channel), a
// dashboard of the prober's metrics, and alert policies in PromQL over them
// (Managed Service for Prometheus: the queries and what they mean are in
// networkQueries.ts).
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { type Beside, dashboardJson, networkAlerts, type Scope } from "./networkQueries";

export interface NetworkMonitoringArgs {
    project: string;
    networkName: string;
    /** This region's series: its namespace, in its own cluster (the project holds every region's). */
    scope: Scope;
    /** Who is told; without one, incidents show in Cloud Monitoring only. */
    email?: string;
    /** What runs beside the network (the web client, IRC services): their charts and alerts too. */
    beside: Beside;
}

export class NetworkMonitoring extends pulumi.ComponentResource {
    readonly channel?: gcp.monitoring.NotificationChannel;
    readonly dashboard: gcp.monitoring.Dashboard;
    readonly policies: gcp.monitoring.AlertPolicy[];

    constructor(name: string, args: NetworkMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:NetworkMonitoring", name, {}, opts);
        const parent = { parent: this };

        if (args.email) {
            this.channel = new gcp.monitoring.NotificationChannel(
                `${name}-email`,
                {
                    project: args.project,
                    displayName: `${args.networkName} IRC operators`,
                    type: "email",
                    labels: { email_address: args.email },
                },
                // It was the uptime alert's own: the same channel, not a new one to confirm.
                { ...parent, aliases: [{ name: "uptime-email", parent: pulumi.createUrn("uptime", "catbox-gke:index:UptimeAlert") }] },
            );
        }

        this.dashboard = new gcp.monitoring.Dashboard(
            `${name}-dashboard`,
            { project: args.project, dashboardJson: dashboardJson(args.networkName, args.scope, args.beside) },
            parent,
        );

        this.policies = networkAlerts(args.scope, args.beside).map(
            (alert) =>
                new gcp.monitoring.AlertPolicy(
                    `${name}-${alert.id}`,
                    {
                        project: args.project,
                        displayName: `${args.networkName}: ${alert.displayName}`,
                        combiner: "OR",
                        conditions: [
                            {
                                displayName: alert.displayName,
                                conditionPrometheusQueryLanguage: {
                                    query: alert.promql,
                                    duration: alert.duration,
                                    evaluationInterval: "60s",
                                    // The prober's series exist only once it has run: the first `up` must not wait for them.
                                    disableMetricValidation: true,
                                },
                            },
                        ],
                        notificationChannels: this.channel ? [this.channel.name] : [],
                        documentation: { mimeType: "text/markdown", content: alert.meaning },
                    },
                    parent,
                ),
        );

        this.registerOutputs({ dashboardId: this.dashboard.id });
    }
}
