// The prober's metrics, in Prometheus' conventions: base units in the names,
// `_total` counters, a `server` label (a daemon's server name) or `from`/`to`
// for a message between two daemons. prom-client writes the exposition.
import { Counter, Gauge, Histogram, Registry } from "prom-client";

const server = ["server"] as const;
const pair = ["from", "to"] as const;

export function newMetrics() {
    const registry = new Registry();
    const registers = [registry];
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
        new Gauge<L>({ name, help, labelNames, registers });
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
        new Counter<L>({ name, help, labelNames, registers });
    return {
        registry,
        up: gauge("catbox_up", "1 while the prober's client on this daemon is registered, 0 otherwise", server),
        localUsers: gauge("catbox_local_users", "Users connected to this daemon (LUSERS 265), the prober's own client included", server),
        users: gauge(
            "catbox_users",
            "Users connected to this daemon, the probers' own clients left out (every region's prober has one on each hub)",
            server,
        ),
        peerHub: gauge(
            "catbox_peer_hub",
            "1 for a peer region's hub: its series are this region's view of it, not this region's own daemons",
            server,
        ),
        globalUsers: gauge("catbox_global_users", "Users on the whole network as this daemon sees it (LUSERS 266)", server),
        channels: gauge("catbox_channels", "Channels this daemon knows (LUSERS 254)", server),
        serversSeen: gauge("catbox_servers_seen", "Servers this daemon lists in LINKS, itself included", server),
        serversExpected: gauge("catbox_servers_expected", "Servers the network should have (the stack's replicas)"),
        pingRtt: gauge("catbox_ping_rtt_seconds", "Round trip of the prober's last PING to this daemon", server),
        messagesSent: counter(
            "catbox_probe_messages_sent_total",
            "Messages the prober's client on daemon `from` sent to its client on daemon `to`",
            pair,
        ),
        messagesDelivered: counter("catbox_probe_messages_delivered_total", "Of those, the ones that arrived before the next round", pair),
        peerMessagesSent: counter(
            "catbox_peer_messages_sent_total",
            "Messages the prober's client on this region's daemon `from` sent to its client on a peer region's hub `to`",
            pair,
        ),
        peerMessagesDelivered: counter("catbox_peer_messages_delivered_total", "Of those, the ones that arrived before the next round", pair),
        deliverySeconds: new Histogram({
            name: "catbox_probe_message_delivery_seconds",
            help: "Time from sending a probe message to its arrival, over every pair of daemons",
            buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
            registers,
        }),
        certificateValid: gauge(
            "catbox_tls_certificate_valid",
            "1 if the certificate this daemon serves verifies with the system's trust for the name clients dial, 0 otherwise",
            server,
        ),
        certificateExpiry: gauge(
            "catbox_tls_certificate_expiry_timestamp_seconds",
            "When the certificate this daemon serves expires, in Unix seconds",
            server,
        ),
        servicesUp: gauge("catbox_services_up", "1 if NickServ answered the prober's question in the last round, 0 if not (with IRC services only)"),
        servicesReply: gauge("catbox_services_reply_seconds", "How long NickServ took to answer the prober's last question"),
        rounds: counter("catbox_prober_rounds_total", "Rounds the prober has finished"),
        lastRound: gauge("catbox_prober_last_round_timestamp_seconds", "When the prober last finished a round, in Unix seconds"),
    };
}

export type Metrics = ReturnType<typeof newMetrics>;
