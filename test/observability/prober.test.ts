// The prober against the real catbox: three linked daemons on loopback, the
// prober's client on each (irc-framework, as a user's client), its metrics read
// by a Prometheus text-format parser. One daemon killed: the split, the lost
// messages and the lost users show within a round or two; started again: all back.
import assert from "node:assert/strict";
import { describe, it, after } from "node:test";
import * as tls from "node:tls";
import { containerLinkPort, containerTlsPort } from "../../components/catbox/names";
import { startProber } from "../../prober/main";
import { partnersPerRound, probePartners } from "../../prober/probe";
import { proberIntervalSeconds, proberRevisitSeconds } from "../../components/observability/prober";
import { selfSignedPair } from "../../harness/realCatbox/tlsPair";
import { waitUntil } from "../../harness/waitUntil";
import { type Family, parseExposition, sample, samples } from "../support/exposition";
import { nameOf, network, onDaemon, pair } from "../support/realCatbox";

const replicas = 3;
const intervalSeconds = 1;

describe("the prober's pairs", () => {
    it("a daemon never messages itself or one daemon twice a round, and every pair is probed within the revisit, up to 20 daemons and 18 peer hubs", () => {
        const revisitRounds = Math.floor(proberRevisitSeconds / proberIntervalSeconds);
        for (let n = 2; n <= 38; n++) {
            const perRound = partnersPerRound(n, revisitRounds);
            const rounds = Math.ceil((n - 1) / perRound);
            assert.ok(rounds <= revisitRounds, `n ${n}: ${rounds} rounds`);
            for (const start of [0, 7, 1000]) {
                for (let i = 0; i < n; i++) {
                    const byRound = Array.from({ length: rounds }, (_, k) => probePartners(i, start + k, n, perRound));
                    for (const partners of byRound) {
                        assert.ok(!partners.includes(i), `n ${n}: ${i} messages itself`);
                        assert.equal(new Set(partners).size, partners.length, `n ${n}: ${i} messages one daemon twice in a round`);
                    }
                    assert.equal(new Set(byRound.flat()).size, n - 1, `n ${n}, from round ${start}: ${i} misses a partner`);
                }
            }
        }
        // A small network keeps one message a daemon a round.
        assert.equal(partnersPerRound(3, revisitRounds), 1);
        assert.equal(partnersPerRound(1, revisitRounds), 0);
    });
});

describe("the prober, on the real daemon", () => {
    const ctx = network(17, replicas);
    let running: Awaited<ReturnType<typeof startProber>> | undefined;
    after(() => running?.stop());

    const scrape = async (): Promise<Family[]> => {
        const res = await fetch(`http://127.0.0.1:${running!.port}/metrics`);
        assert.equal(res.status, 200);
        return parseExposition(await res.text());
    };
    const servers = Array.from({ length: replicas }, (_, n) => nameOf(n));
    /** Wait until the metrics show what `check` wants; on the deadline, say what they showed. */
    const metricsShow = async (what: string, check: (f: Family[]) => boolean, timeoutMs = 15_000) => {
        let last: Family[] = [];
        await waitUntil(what, async () => check((last = await scrape())), {
            timeoutMs,
            detail: () => JSON.stringify(last.filter((f) => /up|servers|users|delivered|valid/.test(f.name)).map((f) => [f.name, f.metrics])),
        });
        return last;
    };
    const whole = (f: Family[]) =>
        servers.every((s) => sample(f, "catbox_up", { server: s }) === 1 && sample(f, "catbox_servers_seen", { server: s }) === replicas);

    it("measures every daemon of a linked network: up, users, servers seen, PING, delivery, the served certificate", onDaemon(60_000), async () => {
        // A user already holds the nick the prober wants on daemon 1: it takes another.
        const squatter = await ctx.net.client(0, "probe1");
        running = await startProber({
            targets: servers.map((server, n) => ({
                server,
                host: ctx.net.address(n),
                port: containerLinkPort,
                tlsHost: ctx.net.address(n),
                tlsPort: containerTlsPort,
            })),
            intervalSeconds,
            nickPrefix: "probe",
            port: 0,
            ca: pair.certificatePem,
        });
        const f = await metricsShow("every daemon up, seeing all 3 servers, and messages delivered between each pair", (m) => {
            const sent = samples(m, "catbox_probe_messages_delivered_total");
            return whole(m) && sent.filter((x) => x.value > 0).length === replicas * (replicas - 1);
        });
        assert.equal(sample(f, "catbox_servers_expected"), replicas);
        for (const s of servers) {
            assert.ok(sample(f, "catbox_local_users", { server: s })! >= 1, `${s}: the prober's own client is a user`);
            assert.equal(
                sample(f, "catbox_users", { server: s }),
                sample(f, "catbox_local_users", { server: s })! - 1,
                `${s}: users without the prober`,
            );
            assert.equal(sample(f, "catbox_global_users", { server: s }), replicas + 1, `${s}: one prober client per daemon, and the squatter`);
            assert.ok(sample(f, "catbox_ping_rtt_seconds", { server: s })! > 0);
            assert.equal(sample(f, "catbox_tls_certificate_valid", { server: s }), 1, `${s}: the certificate verifies for its name`);
            assert.ok(sample(f, "catbox_tls_certificate_expiry_timestamp_seconds", { server: s })! > Date.now() / 1000);
        }
        assert.ok(sample(f, "catbox_probe_message_delivery_seconds")! >= replicas * (replicas - 1), "a latency histogram of every delivery");
        // In seconds, as its name says: on loopback a delivery takes milliseconds.
        const histogram = f.find((x) => x.name === "catbox_probe_message_delivery_seconds")!.metrics[0];
        const mean = Number(histogram.sum) / Number(histogram.count);
        assert.ok(mean > 0 && mean < 1, `mean delivery ${mean}: not seconds`);
        assert.ok(sample(f, "catbox_prober_last_round_timestamp_seconds")! > Date.now() / 1000 - 5);
        for (const family of f) assert.ok(family.help.length > 10, `${family.name} has a help text`);
        squatter.close();
    });

    it("a daemon killed: its absence, the split, lost messages and lost users show; started again, all is back", onDaemon(90_000), async () => {
        const dead = servers[replicas - 1];
        const before = await scrape();
        const lostBefore = (f: Family[]) =>
            samples(f, "catbox_probe_messages_sent_total")
                .filter((x) => x.labels.to === dead)
                .reduce((s, x) => s + x.value - (sample(f, "catbox_probe_messages_delivered_total", x.labels) ?? 0), 0);
        const lost0 = lostBefore(before);
        await ctx.net.stopPod(replicas - 1);
        const killed = Date.now();
        // Down and split by the next round's LUSERS and LINKS: within one interval (and two
        // seconds' slack for a busy machine); its users gone from the others' count too.
        await metricsShow(
            "the dead daemon down, the others seeing 2 servers and 2 users",
            (m) =>
                sample(m, "catbox_up", { server: dead }) === 0 &&
                // A daemon the prober cannot reach sees nothing: the split alert counts it.
                sample(m, "catbox_servers_seen", { server: dead }) === 0 &&
                servers
                    .slice(0, -1)
                    .every(
                        (s) =>
                            sample(m, "catbox_servers_seen", { server: s }) === replicas - 1 &&
                            sample(m, "catbox_global_users", { server: s }) === replicas - 1,
                    ),
            intervalSeconds * 1000 + 2000,
        );
        const split = Date.now() - killed;
        // A message is counted lost when the round after it begins: within two intervals.
        await metricsShow("messages to the dead daemon counted lost", (m) => lostBefore(m) > lost0, 2 * intervalSeconds * 1000 + 2000 - split);
        await ctx.net.start(replicas - 1);
        await metricsShow("every daemon up and seeing all 3 servers again", whole, 30_000);
    });

    it("a certificate that misses a name it must hold, or that the trust does not reach, counts as failing", onDaemon(30_000), async () => {
        // A stand-in TLS port (the check is TLS alone): the pair names only irc0.
        const other = selfSignedPair([servers[0]]);
        const server = tls.createServer({ cert: other.certificatePem, key: other.keyPem }, (s) => s.end());
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as { port: number }).port;
        const check = async (hostname: string | undefined, ca: string | undefined, peerHub = false) => {
            const p = await startProber({
                // No IRC port answers here: only the certificate is looked at.
                targets: [{ server: servers[0], host: "127.0.0.1", port: 1, tlsHost: "127.0.0.1", tlsPort: port, ...(peerHub && { tls: true }) }],
                hostname,
                intervalSeconds: 1,
                nickPrefix: "probe",
                port: 0,
                ca,
            });
            try {
                let v: number | undefined;
                await waitUntil(
                    "a certificate verdict",
                    async () => {
                        const f = parseExposition(await (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text());
                        return (v = sample(f, "catbox_tls_certificate_valid", { server: servers[0] })) !== undefined;
                    },
                    { timeoutMs: 10_000 },
                );
                return v;
            } finally {
                await p.stop();
            }
        };
        try {
            assert.equal(await check(undefined, other.certificatePem), 1, "trusted, and naming the server");
            assert.equal(await check("irc.example.org", other.certificatePem), 0, "the client name missing");
            assert.equal(await check(undefined, undefined), 0, "not trusted by the system");
            // A peer region's hub serves its own region's names: held to its server name, never to this region's client name.
            assert.equal(await check("irc.example.org", other.certificatePem, true), 1, "a peer hub, naming itself");
        } finally {
            server.close();
        }
    });
});
