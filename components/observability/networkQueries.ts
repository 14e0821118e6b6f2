// What the operator sees of the network, in PromQL over the prober's metrics
// and GKE's own container metrics: the dashboard's charts and the alerts, with
// what each alert means for a user. Pure: no Pulumi import.
//
// Every region of a network writes to one GCP project, by default in the same
// namespace: a series is this region's only when its selector names the cluster
// and its location (labels Managed Service for Prometheus adds to every series).
// A region's prober also watches the peer regions' hubs (catbox_peer_hub marks
// their series): the alerts about a daemon leave those to the peer's own prober,
// and what crosses regions is its own metric and alert.

export interface Chart {
    title: string;
    /** One line per query; `legend` names it where the labels would not. */
    queries: { promql: string; legend?: string }[];
    yLabel: string;
}

export interface NetworkAlert {
    /** Part of the resource's name. */
    id: string;
    displayName: string;
    promql: string;
    /** How long the query must hold before the alert fires. */
    duration: string;
    /** What a user sees when it fires, and where to look: the alert's documentation. */
    meaning: string;
}

/**
 * The delivery alerts' window: lost messages counted over it. The prober probes
 * every pair of daemons within it, at the largest network the config takes.
 */
export const deliveryWindowSeconds = 300;
const deliveryWindow = `${deliveryWindowSeconds / 60}m`;

/** Where a region's series come from: its namespace in its own cluster. */
export interface Scope {
    namespace: string;
    cluster: string;
    location: string;
}

/** The prober's series of this region's network only. */
const of = (s: Scope) => `namespace="${s.namespace}",cluster="${s.cluster}",location="${s.location}"`;
/** This region's own daemons: the peer regions' hubs left out. */
const own = (series: string, ns: string) => `(${series} unless on (server) catbox_peer_hub{${ns}})`;
/** Probe messages per pair: `messages` is catbox_probe_messages (this region's pairs) or catbox_peer_messages (to a peer's hub). */
const delivered = (messages: string, ns: string, window: string) =>
    `sum by (from, to) (increase(${messages}_delivered_total{${ns}}[${window}])) / sum by (from, to) (increase(${messages}_sent_total{${ns}}[${window}]))`;
const lost = (messages: string, ns: string, window: string) =>
    `sum by (from, to) (increase(${messages}_sent_total{${ns}}[${window}])) - sum by (from, to) (increase(${messages}_delivered_total{${ns}}[${window}])) > 0.5`;

export function networkCharts(scope: Scope, beside: Beside = nothingBeside): Chart[] {
    const ns = of(scope);
    return [
        {
            title: "Users per server (the probers' own clients left out)",
            queries: [{ promql: `max by (server) (${own(`catbox_users{${ns}}`, ns)})` }],
            yLabel: "users",
        },
        {
            title: "Servers each daemon sees, and the servers expected",
            queries: [
                { promql: `min by (server) (catbox_servers_seen{${ns}})` },
                { promql: `max(catbox_servers_expected{${ns}})`, legend: "expected" },
            ],
            yLabel: "servers",
        },
        {
            title: "Probe messages delivered, per pair of daemons (10 min)",
            queries: [{ promql: delivered("catbox_probe_messages", ns, "10m") }],
            yLabel: "delivered / sent",
        },
        {
            title: "Probe messages delivered to the peer regions' hubs (10 min)",
            queries: [{ promql: delivered("catbox_peer_messages", ns, "10m") }],
            yLabel: "delivered / sent",
        },
        {
            title: "Probe message delivery time, p50 and p99",
            queries: [
                { promql: `histogram_quantile(0.5, sum by (le) (rate(catbox_probe_message_delivery_seconds_bucket{${ns}}[10m])))`, legend: "p50" },
                { promql: `histogram_quantile(0.99, sum by (le) (rate(catbox_probe_message_delivery_seconds_bucket{${ns}}[10m])))`, legend: "p99" },
            ],
            yLabel: "seconds",
        },
        {
            title: "PING round trip per server",
            queries: [{ promql: `max by (server) (catbox_ping_rtt_seconds{${ns}})` }],
            yLabel: "seconds",
        },
        {
            title: "catbox restarts per pod (1 h): crashes, OOM kills, the watchdog's kills",
            queries: [
                {
                    promql:
                        `sum by (pod_name) (increase(kubernetes_io:container_restart_count{monitored_resource="k8s_container",` +
                        `namespace_name="${scope.namespace}",cluster_name="${scope.cluster}",location="${scope.location}",container_name="catbox"}[1h]))`,
                },
            ],
            yLabel: "restarts",
        },
        {
            title: "Days until each server's certificate expires",
            queries: [{ promql: `min by (server) (catbox_tls_certificate_expiry_timestamp_seconds{${ns}} - time()) / 86400` }],
            yLabel: "days",
        },
        {
            title: "Seconds since the prober's last round",
            queries: [{ promql: `time() - max(catbox_prober_last_round_timestamp_seconds{${ns}})`, legend: "prober" }],
            yLabel: "seconds",
        },
        ...besideCharts(ns, beside),
    ];
}

/** What runs beside the network, which adds charts and alerts of its own. */
export interface Beside {
    webClient: boolean;
    services: boolean;
}
const nothingBeside: Beside = { webClient: false, services: false };

/** The charts of what runs beside the network: the web client's own metrics (configs/web-metrics.sh), services' answers (the prober's). */
function besideCharts(ns: string, beside: Beside): Chart[] {
    return [
        ...(beside.webClient
            ? [
                  {
                      title: "The web client: users connected to the network through it, and whether it is up",
                      queries: [
                          { promql: `max(catbox_web_users{${ns}})`, legend: "web users" },
                          { promql: `max(catbox_web_up{${ns}})`, legend: "up (1)" },
                      ],
                      yLabel: "users",
                  },
              ]
            : []),
        ...(beside.services
            ? [
                  {
                      title: "IRC services: NickServ answers (1), and how fast",
                      queries: [
                          { promql: `max(catbox_services_up{${ns}})`, legend: "answers" },
                          { promql: `max(catbox_services_reply_seconds{${ns}})`, legend: "reply seconds" },
                      ],
                      yLabel: "answers / seconds",
                  },
              ]
            : []),
    ];
}

export function networkAlerts(scope: Scope, beside: Beside = nothingBeside): NetworkAlert[] {
    const ns = of(scope);
    return [
        {
            id: "split",
            displayName: "IRC network split: a daemon sees fewer servers than expected",
            promql: `min(${own(`catbox_servers_seen{${ns}}`, ns)}) < max(catbox_servers_expected{${ns}})`,
            duration: "120s",
            meaning:
                "Users on different servers no longer see each other: messages and channel members stop at the split. " +
                "The dashboard's servers chart shows which daemon is alone; see the daemons' logs (`kubectl logs -c catbox`).",
        },
        {
            id: "delivery",
            displayName: "IRC messages are not delivered between two daemons",
            promql: lost("catbox_probe_messages", ns, deliveryWindow),
            duration: "300s",
            meaning:
                "A message sent on one server does not reach users on another (the `from` and `to` labels say which), " +
                "though the daemons may still look linked.",
        },
        {
            id: "region-link",
            displayName: "IRC messages do not reach a peer region",
            promql: lost("catbox_peer_messages", ns, deliveryWindow),
            duration: "300s",
            meaning:
                "Users of this region and of the peer region whose hub is `to` no longer reach each other: the regions are " +
                "split, or the link between them is down. See the hubs' logs (`kubectl logs -c catbox` on pods 0 and 1) " +
                "for the TLS or password error, and the peer region's own alerts.",
        },
        {
            id: "users-lost",
            displayName: "An IRC daemon lost all its users while the others keep theirs",
            promql:
                `(max by (server) (${own(`catbox_users{${ns}}`, ns)}) == 0 ` +
                `and max by (server) (max_over_time(catbox_users{${ns}}[1h])) > 0) ` +
                `and on () (sum(${own(`catbox_users{${ns}}`, ns)}) > 0)`,
            duration: "300s",
            meaning:
                "Users of one server were all disconnected and did not come back to it: the load balancer may no longer send " +
                "clients to that pod (its readiness), or the daemon restarted. See the restarts chart and `kubectl get pods`.",
        },
        {
            id: "certificate",
            displayName: "An IRC server's certificate fails verification or expires within 14 days",
            promql:
                `min by (server) (${own(`catbox_tls_certificate_valid{${ns}}`, ns)}) < 1 ` +
                `or min by (server) (${own(`catbox_tls_certificate_expiry_timestamp_seconds{${ns}}`, ns)} - time()) < 14 * 86400`,
            duration: "600s",
            meaning:
                "Clients that check certificates (most do) will refuse to connect, now or when it expires: a renewal " +
                "failed silently. With letsEncrypt, see `kubectl get certificate,challenges -A`.",
        },
        {
            id: "prober",
            displayName: "The IRC prober has stopped reporting",
            promql: `absent(catbox_prober_last_round_timestamp_seconds{${ns}}) or time() - max(catbox_prober_last_round_timestamp_seconds{${ns}}) > 300`,
            duration: "300s",
            meaning: "The other alerts are blind until it is back: see `kubectl get deploy` and the prober's log.",
        },
        ...(beside.services
            ? [
                  {
                      id: "services",
                      displayName: "IRC services (NickServ) do not answer",
                      promql: `max(catbox_services_up{${ns}}) < 1`,
                      duration: "300s",
                      meaning:
                          "Users cannot identify or register nicks and channels, and founders get no ops back. See the services " +
                          "pod (`kubectl get pods -l app.kubernetes.io/name=catbox-services` and its log): it may be restarting, " +
                          "waiting for its volume, or unable to link (its link password, the daemons' NetworkPolicy).",
                  },
              ]
            : []),
    ];
}

/** Cloud Monitoring's dashboard JSON: the charts two abreast, each a line chart of its PromQL queries. */
export function dashboardJson(networkName: string, scope: Scope, beside: Beside = nothingBeside): string {
    const width = 24;
    const height = 16;
    // The Monitoring API leaves out a position of 0 when it returns the layout: written, it would diff on every preview.
    const at = (x: number, y: number) => ({ ...(x !== 0 && { xPos: x }), ...(y !== 0 && { yPos: y }) });
    const tiles = networkCharts(scope, beside).map((chart, i) => ({
        ...at((i % 2) * width, Math.floor(i / 2) * height),
        width,
        height,
        widget: {
            title: chart.title,
            xyChart: {
                dataSets: chart.queries.map((q) => ({
                    timeSeriesQuery: { prometheusQuery: q.promql },
                    plotType: "LINE",
                    targetAxis: "Y1",
                    ...(q.legend ? { legendTemplate: q.legend } : {}),
                })),
                yAxis: { label: chart.yLabel, scale: "LINEAR" },
            },
        },
    }));
    return JSON.stringify({ displayName: `${networkName} IRC network (${scope.location})`, mosaicLayout: { columns: 2 * width, tiles } });
}
