// The prober's metrics, in Prometheus' conventions: base units in the names,
// `_total` counters, a `server` label (a daemon's server name) or `from`/`to`
// for a message between two daemons. prom-client writes the exposition.
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export function newMetrics() {
    const registry = new Registry();
    const server = ["server"];
    const pair = ["from", "to"];
    const metrics = {
        registry,
        up: new Gauge({
            name: "catbox_up",
            help: "1 while the prober's client on this daemon is registered, 0 otherwise",
            labelNames: server,
            registers: [registry],
        }),
        localUsers: new Gauge({
            name: "catbox_local_users",
            help: "Users connected to this daemon (LUSERS 265), the prober's own client included",
            labelNames: server,
            registers: [registry],
        }),
        users: new Gauge({
            name: "catbox_users",
            help: "Users connected to this daemon, the probers' own clients left out (every region's prober has one on each hub)",
            labelNames: server,
            registers: [registry],
        }),
        peerHub: new Gauge({
            name: "catbox_peer_hub",
            help: "1 for a peer region's hub: its series are this region's view of it, not this region's own daemons",
            labelNames: server,
            registers: [registry],
        }),
        globalUsers: new Gauge({
            name: "catbox_global_users",
            help: "Users on the whole network as this daemon sees it (LUSERS 266)",
            labelNames: server,
            registers: [registry],
        }),
        channels: new Gauge({ name: "catbox_channels", help: "Channels this daemon knows (LUSERS 254)", labelNames: server, registers: [registry] }),
        serversSeen: new Gauge({
            name: "catbox_servers_seen",
            help: "Servers this daemon lists in LINKS, itself included",
            labelNames: server,
            registers: [registry],
        }),
        serversExpected: new Gauge({
            name: "catbox_servers_expected",
            help: "Servers the network should have (the stack's replicas)",
            registers: [registry],
        }),
        pingRtt: new Gauge({
            name: "catbox_ping_rtt_seconds",
            help: "Round trip of the prober's last PING to this daemon",
            labelNames: server,
            registers: [registry],
        }),
        messagesSent: new Counter({
            name: "catbox_probe_messages_sent_total",
            help: "Messages the prober's client on daemon `from` sent to its client on daemon `to`",
            labelNames: pair,
            registers: [registry],
        }),
        messagesDelivered: new Counter({
            name: "catbox_probe_messages_delivered_total",
            help: "Of those, the ones that arrived before the next round",
            labelNames: pair,
            registers: [registry],
        }),
        peerMessagesSent: new Counter({
            name: "catbox_peer_messages_sent_total",
            help: "Messages the prober's client on this region's daemon `from` sent to its client on a peer region's hub `to`",
            labelNames: pair,
            registers: [registry],
        }),
        peerMessagesDelivered: new Counter({
            name: "catbox_peer_messages_delivered_total",
            help: "Of those, the ones that arrived before the next round",
            labelNames: pair,
            registers: [registry],
        }),
        deliverySeconds: new Histogram({
            name: "catbox_probe_message_delivery_seconds",
            help: "Time from sending a probe message to its arrival, over every pair of daemons",
            buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
            registers: [registry],
        }),
        certificateValid: new Gauge({
            name: "catbox_tls_certificate_valid",
            help: "1 if the certificate this daemon serves verifies with the system's trust for every name it must hold, 0 otherwise",
            labelNames: server,
            registers: [registry],
        }),
        certificateExpiry: new Gauge({
            name: "catbox_tls_certificate_expiry_timestamp_seconds",
            help: "When the certificate this daemon serves expires, in Unix seconds",
            labelNames: server,
            registers: [registry],
        }),
        rounds: new Counter({ name: "catbox_prober_rounds_total", help: "Rounds the prober has finished", registers: [registry] }),
        lastRound: new Gauge({
            name: "catbox_prober_last_round_timestamp_seconds",
            help: "When the prober last finished a round, in Unix seconds",
            registers: [registry],
        }),
    };
    return metrics;
}

export type Metrics = ReturnType<typeof newMetrics>;
