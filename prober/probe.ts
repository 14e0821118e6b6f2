// The prober: one IRC client on every daemon, as a user sees the network. Each
// round, per daemon: is its client registered, how many users and channels it
// counts (LUSERS: catbox's 265, 266 and 254), which servers it sees (LINKS)
// against those the network should have, the PING round trip, and whether a
// message from the prober's client on one daemon reaches its client on another
// (a few partners each round, so that every pair is probed within the delivery alerts' window); and the
// certificate each daemon serves on its TLS port. Catbox speaks only a small
// part of IRC (no CAP, no LIST; LUSERS and LINKS ignore their parameters), so
// everything here is asked the way a plain client asks it.
import { EventEmitter } from "node:events";
import * as tls from "node:tls";
import { Client } from "irc-framework";
import type { Metrics } from "./metrics";

export interface Target {
    /** The daemon's server name: what LINKS lists, and the metrics' `server` label. */
    server: string;
    /** Where its client connects (in the cluster: the daemon's own Service, on the link port). */
    host: string;
    port: number;
    /** Where its TLS port answers (the pod's own address), for the certificate check. */
    tlsHost: string;
    tlsPort: number;
    /**
     * A peer region's hub, reached as the other region reaches it: by its public
     * name, over TLS verified with the system's trust (its IRC client too).
     */
    tls?: boolean;
    /** The probers' own clients on this daemon, which LUSERS counts (1 unless every region's prober is on it). */
    probers?: number;
}

export interface ProberOptions {
    targets: Target[];
    /** Names the served certificate must hold (the name clients dial). */
    certificateNames: (t: Target) => string[];
    /** Trust beyond the system's (tests: a test CA). */
    ca?: string;
    /** The prober's nicks: `${nickPrefix}${n}` on daemon n. */
    nickPrefix: string;
    intervalMs: number;
    /** The most rounds between two probes of one pair (the delivery alerts' window, in rounds); 1 a round without it. */
    revisitRounds?: number;
    /** The servers the whole network should have (this region's and its peers'); the targets' count unless given. */
    expectedServers?: number;
    /** The network has IRC services: ask NickServ each round. */
    services?: boolean;
}

interface Connection {
    client: InstanceType<typeof Client>;
    nick: string;
    registered: boolean;
    /** Lines of the reply being collected, by what asked for it. */
    links: string[];
    lusers: { local?: number; global?: number; channels: number };
}

/** A pending PING or message: resolved by the daemon, or given up at the next round. */
interface Pending {
    sentAt: number;
    done: (ms: number | undefined) => void;
}

const registrationTimeoutMs = 10_000;

/**
 * How many daemons each daemon's client writes to in a round, so that every
 * pair is probed at least once in any `revisitRounds` rounds in a row: the
 * delivery alerts' window must hold a probe of every pair, at any network size.
 */
export function partnersPerRound(n: number, revisitRounds: number): number {
    return n < 2 ? 0 : Math.min(n - 1, Math.ceil((n - 1) / Math.max(1, revisitRounds)));
}

/**
 * Whom daemon i's client writes to in a round: never itself, `perRound` others
 * a round, and each of the others once in any ceil((n - 1) / perRound) rounds in a row.
 */
export function probePartners(i: number, round: number, n: number, perRound: number): number[] {
    return Array.from({ length: perRound }, (_, k) => (i + 1 + ((round * perRound + k) % (n - 1))) % n);
}

export class Prober extends EventEmitter {
    private readonly conns = new Map<number, Connection>();
    private readonly pings = new Map<string, Pending>();
    private readonly messages = new Map<string, Pending>();
    private round = 0;
    /** This round's question to NickServ, until it answers or the next round gives up on it. */
    private servicesPending?: Pending;
    private timer?: NodeJS.Timeout;
    private stopped = false;

    constructor(
        private readonly o: ProberOptions,
        private readonly metrics: Metrics,
    ) {
        super();
        metrics.serversExpected.set(o.expectedServers ?? o.targets.length);
        for (const t of o.targets) if (t.tls) metrics.peerHub.set({ server: t.server }, 1);
    }

    start() {
        const tick = async () => {
            if (this.stopped) return;
            await this.runRound().catch((e) => this.emit("error", e));
            if (!this.stopped) this.timer = setTimeout(() => void tick(), this.o.intervalMs);
        };
        void tick();
    }

    stop() {
        this.stopped = true;
        if (this.timer) clearTimeout(this.timer);
        for (const c of this.conns.values()) c.client.quit("prober stopping");
        for (const c of this.conns.values()) c.client.connection?.end();
    }

    /** One round: every daemon asked, one message per daemon sent, each certificate checked. */
    async runRound() {
        const n = this.o.targets.length;
        this.round++;
        // What the last round left unanswered is lost.
        for (const map of [this.pings, this.messages]) {
            for (const [k, p] of map) {
                map.delete(k);
                p.done(undefined);
            }
        }
        const unanswered = this.servicesPending;
        this.servicesPending = undefined;
        unanswered?.done(undefined);
        // Answers are awaited only by the next round, which counts what never came: a
        // lost message or a daemon that stopped answering never holds a round up.
        const checks: Promise<unknown>[] = [];
        const perRound = partnersPerRound(n, this.o.revisitRounds ?? n - 1);
        this.o.targets.forEach((t, i) => {
            const c = this.conns.get(i);
            if (!c) {
                this.connect(i);
                this.metrics.up.set({ server: t.server }, 0);
                return;
            }
            this.metrics.up.set({ server: t.server }, c.registered ? 1 : 0);
            if (!c.registered) return;
            c.links = [];
            c.lusers = { channels: 0 };
            c.client.raw("LUSERS");
            c.client.raw("LINKS");
            void this.ping(i);
            for (const j of probePartners(i, this.round, n, perRound)) void this.deliver(i, j);
        });
        if (this.o.services) void this.askServices();
        checks.push(...this.o.targets.map((t) => this.checkCertificate(t)));
        await Promise.all(checks);
        this.metrics.rounds.inc();
        this.metrics.lastRound.set(Date.now() / 1000);
        this.emit("round", this.round);
    }

    private connect(i: number) {
        const t = this.o.targets[i];
        const nick = `${this.o.nickPrefix}${i}`;
        const client = new Client();
        const conn: Connection = { client, nick, registered: false, links: [], lusers: { channels: 0 } };
        this.conns.set(i, conn);
        const drop = () => {
            if (this.conns.get(i) !== conn) return;
            this.conns.delete(i);
            this.metrics.up.set({ server: t.server }, 0);
            this.metrics.serversSeen.set({ server: t.server }, 0);
        };
        const giveUp = setTimeout(() => {
            if (!conn.registered) {
                drop();
                client.connection?.end();
            }
        }, registrationTimeoutMs);
        client.on("registered", (e: { nick: string }) => {
            clearTimeout(giveUp);
            conn.registered = true;
            conn.nick = e.nick;
            this.metrics.up.set({ server: t.server }, 1);
        });
        // Someone holds the nick: another one, short enough for any maxNickLength the check allows.
        let attempt = 0;
        client.on("nick in use", () => {
            if (!conn.registered) client.changeNick(`${nick}_${++attempt}`);
        });
        client.on("close", drop);
        client.on("socket close", drop);
        client.on("raw", (e: { line: string; from_server: boolean }) => {
            if (e.from_server) this.onLine(i, conn, e.line);
        });
        client.connect({
            host: t.host,
            port: t.port,
            ...(t.tls ? { tls: true, rejectUnauthorized: true } : {}),
            nick,
            username: "prober",
            gecos: "catbox-gke prober",
            // Reconnection is the next round's job; catbox has no CAP, nothing to ask for.
            auto_reconnect: false,
            ping_interval: 0,
            ping_timeout: 0,
        });
    }

    private onLine(i: number, conn: Connection, raw: string) {
        const server = this.o.targets[i].server;
        // irc-framework hands lines over with their CR.
        const line = raw.trimEnd();
        const words = line.split(" ");
        const from = words[0].startsWith(":") ? 1 : 0;
        const command = words[from];
        const params = words.slice(from + 2);
        switch (command) {
            case "265":
                this.metrics.localUsers.set({ server }, Number(params[0]));
                this.metrics.users.set({ server }, Math.max(0, Number(params[0]) - (this.o.targets[i].probers ?? 1)));
                break;
            case "266":
                this.metrics.globalUsers.set({ server }, Number(params[0]));
                break;
            case "254":
                conn.lusers.channels = Number(params[0]);
                break;
            case "255":
                // The last of LUSERS' replies where a channel count may come before it.
                this.metrics.channels.set({ server }, conn.lusers.channels);
                break;
            case "364":
                conn.links.push(params[1]);
                break;
            case "365":
                this.metrics.serversSeen.set({ server }, new Set(conn.links.map((s) => s.toLowerCase())).size);
                break;
            case "PONG": {
                // catbox answers `PONG <server> <token>`, with or without a ':'.
                const token = words[words.length - 1].replace(/^:/, "");
                const p = this.pings.get(token);
                if (p) {
                    this.pings.delete(token);
                    p.done(Date.now() - p.sentAt);
                }
                break;
            }
            case "NOTICE": {
                // NickServ's answer (to anything: one a round is asked).
                const p = this.servicesPending;
                if (p && /^:NickServ!/i.test(words[0])) {
                    this.servicesPending = undefined;
                    p.done(Date.now() - p.sentAt);
                }
                break;
            }
            case "PRIVMSG": {
                const token = /:probe (\S+)$/.exec(line)?.[1];
                const p = token ? this.messages.get(token) : undefined;
                if (token && p) {
                    this.messages.delete(token);
                    p.done(Date.now() - p.sentAt);
                }
                break;
            }
        }
    }

    /**
     * IRC services, as a user meets them: NickServ asked about the prober's own
     * nick, from its client on the first of this region's daemons it holds.
     */
    private askServices(): Promise<void> {
        const i = this.o.targets.findIndex((t, n) => !t.tls && this.conns.get(n)?.registered);
        if (i < 0) {
            this.metrics.servicesUp.set(0);
            return Promise.resolve();
        }
        const conn = this.conns.get(i)!;
        return new Promise((resolve) => {
            this.servicesPending = {
                sentAt: Date.now(),
                done: (ms) => {
                    this.metrics.servicesUp.set(ms === undefined ? 0 : 1);
                    if (ms !== undefined) this.metrics.servicesReply.set(ms / 1000);
                    resolve();
                },
            };
            conn.client.raw(`PRIVMSG NickServ :INFO ${conn.nick}`);
        });
    }

    private ping(i: number): Promise<void> {
        const server = this.o.targets[i].server;
        const token = `ping-${i}-${this.round}`;
        return new Promise((resolve) => {
            this.pings.set(token, {
                sentAt: Date.now(),
                done: (ms) => {
                    if (ms !== undefined) this.metrics.pingRtt.set({ server }, ms / 1000);
                    resolve();
                },
            });
            this.conns.get(i)?.client.raw(`PING :${token}`);
        });
    }

    private deliver(i: number, j: number): Promise<void> {
        const from = this.o.targets[i].server;
        const to = this.o.targets[j].server;
        const token = `m-${i}-${j}-${this.round}`;
        // A message to a peer region's hub is a cross-region check: its own metric, its own alert.
        const [sent, delivered] = this.o.targets[j].tls
            ? [this.metrics.peerMessagesSent, this.metrics.peerMessagesDelivered]
            : [this.metrics.messagesSent, this.metrics.messagesDelivered];
        sent.inc({ from, to });
        const target = this.conns.get(j);
        return new Promise((resolve) => {
            this.messages.set(token, {
                sentAt: Date.now(),
                done: (ms) => {
                    if (ms !== undefined) {
                        delivered.inc({ from, to });
                        this.metrics.deliverySeconds.observe(ms / 1000);
                    }
                    resolve();
                },
            });
            // To the nick daemon j's client holds now; none (daemon j unreachable) is a message lost.
            this.conns.get(i)?.client.raw(`PRIVMSG ${target?.registered ? target.nick : `${this.o.nickPrefix}${j}`} :probe ${token}`);
        });
    }

    /** A TLS handshake as a client makes it: the system's trust, and the name clients dial (a peer's hub: its own, which the peer regions dial). */
    private checkCertificate(t: Target): Promise<void> {
        const server = t.server;
        return new Promise((resolve) => {
            const socket = tls.connect({
                host: t.tlsHost,
                port: t.tlsPort,
                servername: t.server,
                rejectUnauthorized: false,
                ...(this.o.ca ? { ca: this.o.ca } : {}),
            });
            const finish = (valid: boolean, expires?: number) => {
                this.metrics.certificateValid.set({ server }, valid ? 1 : 0);
                if (expires !== undefined) this.metrics.certificateExpiry.set({ server }, expires);
                socket.destroy();
                resolve();
            };
            socket.setTimeout(Math.min(5000, this.o.intervalMs), () => finish(false));
            socket.once("error", () => finish(false));
            socket.once("secureConnect", () => {
                const cert = socket.getPeerCertificate();
                const expires = cert.valid_to ? Date.parse(cert.valid_to) / 1000 : undefined;
                const names = t.tls ? [t.server] : this.o.certificateNames(t);
                const namesHeld = names.every((name) => tls.checkServerIdentity(name, cert) === undefined);
                finish(socket.authorized && namesHeld, expires);
            });
        });
    }
}
