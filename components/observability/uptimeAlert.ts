// An alert when the network is down, which the article never had: a Cloud
// Monitoring uptime check connects to the client port on the static IP from
// Google's checkers around the world, and an alert policy emails the operator
// when more than one of them fails. In a network of regions the same watches
// each hub's public endpoint, which the peer regions dial, and the shared name.
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export interface UptimeAlertArgs {
    project: string;
    networkName: string;
    /** What is checked: the static IP clients connect to, or a public name. */
    host: pulumi.Input<string>;
    port: number;
    /** What it is, for its names and its alert: the client port unless said. */
    checked?: { what: string; unreachable: string };
    /** Who is told (a notification channel's name); without one, incidents show in Cloud Monitoring only. */
    channel?: pulumi.Input<string>;
}

/** How often each checker connects, and how long it waits (a TCP connect; catbox answers at once). */
const checkPeriod = "60s";
const checkTimeout = "10s";

export class UptimeAlert extends pulumi.ComponentResource {
    readonly uptimeCheck: gcp.monitoring.UptimeCheckConfig;
    readonly policy: gcp.monitoring.AlertPolicy;

    constructor(name: string, args: UptimeAlertArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:UptimeAlert", name, {}, opts);
        const parent = { parent: this };

        this.uptimeCheck = new gcp.monitoring.UptimeCheckConfig(
            `${name}-check`,
            {
                project: args.project,
                displayName: `${args.networkName} IRC ${args.checked?.what ?? "client port"}`,
                period: checkPeriod,
                timeout: checkTimeout,
                tcpCheck: { port: args.port },
                monitoredResource: { type: "uptime_url", labels: { project_id: args.project, host: args.host } },
            },
            parent,
        );

        // Google's own uptime alert: fires when more than one checker location fails.
        this.policy = new gcp.monitoring.AlertPolicy(
            `${name}-policy`,
            {
                project: args.project,
                displayName: args.checked ? `${args.networkName} IRC ${args.checked.what} is unreachable` : `${args.networkName} IRC network is down`,
                combiner: "OR",
                conditions: [
                    {
                        displayName: args.checked ? `${args.checked.what} unreachable` : "client port unreachable",
                        conditionThreshold: {
                            filter: pulumi.interpolate`metric.type="monitoring.googleapis.com/uptime_check/check_passed" AND metric.label.check_id="${this.uptimeCheck.uptimeCheckId}" AND resource.type="uptime_url"`,
                            comparison: "COMPARISON_GT",
                            thresholdValue: 1,
                            duration: "60s",
                            aggregations: [
                                {
                                    alignmentPeriod: "1200s",
                                    perSeriesAligner: "ALIGN_NEXT_OLDER",
                                    crossSeriesReducer: "REDUCE_COUNT_FALSE",
                                    groupByFields: ["resource.label.*"],
                                },
                            ],
                            trigger: { count: 1 },
                        },
                    },
                ],
                notificationChannels: args.channel ? [args.channel] : [],
                documentation: {
                    mimeType: "text/markdown",
                    content:
                        args.checked?.unreachable ??
                        `Clients cannot connect to the ${args.networkName} IRC network on port ${args.port}. ` +
                            "See `kubectl -n <namespace> get pods` and the README's troubleshooting table.",
                },
            },
            parent,
        );

        this.registerOutputs({ uptimeCheckId: this.uptimeCheck.uptimeCheckId });
    }
}
