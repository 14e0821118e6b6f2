// The alerts' PromQL judged by Prometheus itself: each alert written as a
// Prometheus alerting rule and run through `promtool test rules` over made-up
// series (a split, lost messages, a daemon that lost its users, a certificate
// going bad, a silent prober), each with a case where it must stay silent.
// Cloud Monitoring evaluates the same PromQL, held for the same duration.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { deliveryWindowSeconds, networkAlerts } from "../../components/observability/networkQueries";
import { proberIntervalSeconds, proberRevisitSeconds } from "../../components/observability/prober";
import { partnersPerRound, probePartners } from "../../prober/probe";
import { skipUnlessRequired } from "../../harness/neverSkip";

const promtool = spawnSync("promtool", ["--version"]).status === 0;
const noPromtool = skipUnlessRequired("the alert tests", promtool ? undefined : "no promtool (apt-get install prometheus)");

const ns = 'namespace="irc",cluster="catbox-us",location="us-west1-a"';
/** The same namespace in another region's cluster: the same project holds its series. */
const otherRegion = 'namespace="irc",cluster="catbox-eu",location="europe-west4-a"';
// With everything beside the network: their alerts are judged too.
const alerts = networkAlerts({ namespace: "irc", cluster: "catbox-us", location: "us-west1-a" }, { webClient: true, services: true });
const byId = Object.fromEntries(alerts.map((a) => [a.id, a]));

interface Case {
    what: string;
    /** Between two samples of every series (the scrape interval); 1m unless given. */
    interval?: string;
    series: Record<string, string>;
    /** Minutes after the start, and the alerts (by id, with their labels) firing then. */
    checks: { at: number; firing: { id: string; labels?: Record<string, string> }[] }[];
}

function runPromtool(cases: Case[]): { status: number | null; output: string } {
    const dir = mkdtempSync(path.join(tmpdir(), "alerts-"));
    try {
        const rules = {
            groups: [
                {
                    name: "catbox",
                    interval: "1m",
                    rules: alerts.map((a) => ({ alert: a.id, expr: a.promql, for: a.duration })),
                },
            ],
        };
        writeFileSync(path.join(dir, "rules.yml"), stringify(rules));
        const tests = {
            rule_files: ["rules.yml"],
            evaluation_interval: "1m",
            tests: cases.map((c) => ({
                name: c.what,
                interval: c.interval ?? "1m",
                input_series: Object.entries(c.series).map(([series, values]) => ({ series, values })),
                alert_rule_test: c.checks.flatMap((check) =>
                    alerts.map((a) => ({
                        eval_time: `${check.at}m`,
                        alertname: a.id,
                        exp_alerts: check.firing.filter((f) => f.id === a.id).map((f) => ({ exp_labels: f.labels ?? {} })),
                    })),
                ),
            })),
        };
        writeFileSync(path.join(dir, "tests.yml"), stringify(tests));
        const r = spawnSync("promtool", ["test", "rules", "tests.yml"], { cwd: dir, encoding: "utf8" });
        return { status: r.status, output: `${r.stdout}${r.stderr}` };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** A prober that is alive: its last round follows the clock (time() is 0 at the start). */
const alive = { [`catbox_prober_last_round_timestamp_seconds{${ns}}`]: "0+60x60" };
/** Certificates that verify and have a year left. */
const goodCertificates = {
    [`catbox_tls_certificate_valid{${ns},server="irc0"}`]: "1x60",
    [`catbox_tls_certificate_expiry_timestamp_seconds{${ns},server="irc0"}`]: `${365 * 86400}x60`,
};

const cases: Case[] = [
    {
        what: "NickServ stops answering the prober at minute 10: fires 5 minutes on; another region's services down do not",
        series: {
            ...alive,
            [`catbox_services_up{${ns}}`]: "1x9 0x50",
            [`catbox_services_up{${otherRegion}}`]: "0x60",
        },
        checks: [
            { at: 9, firing: [] },
            { at: 13, firing: [] },
            { at: 17, firing: [{ id: "services" }] },
        ],
    },
    {
        what: "a split: irc0 sees 2 of 3 servers from minute 10; the alert fires 2 minutes on, not before",
        series: {
            ...alive,
            [`catbox_servers_expected{${ns}}`]: "3x60",
            [`catbox_servers_seen{${ns},server="irc0"}`]: "3x9 2x50",
            [`catbox_servers_seen{${ns},server="irc1"}`]: "3x60",
        },
        checks: [
            { at: 9, firing: [] },
            { at: 11, firing: [] },
            { at: 13, firing: [{ id: "split" }] },
        ],
    },
    {
        what: "lost messages from irc0 to irc1 from minute 10: fires after 5 minutes; irc1 to irc0 is fine",
        series: {
            ...alive,
            [`catbox_probe_messages_sent_total{${ns},from="irc0",to="irc1"}`]: "0+2x60",
            [`catbox_probe_messages_delivered_total{${ns},from="irc0",to="irc1"}`]: "0+2x9 18x50",
            [`catbox_probe_messages_sent_total{${ns},from="irc1",to="irc0"}`]: "0+2x60",
            [`catbox_probe_messages_delivered_total{${ns},from="irc1",to="irc0"}`]: "0+2x60",
        },
        checks: [
            { at: 9, firing: [] },
            { at: 13, firing: [] },
            { at: 20, firing: [{ id: "delivery", labels: { from: "irc0", to: "irc1" } }] },
        ],
    },
    {
        what: "irc0 loses its users at minute 10 while irc1 keeps its own: fires after 5 minutes",
        series: {
            ...alive,
            [`catbox_users{${ns},server="irc0"}`]: "50x9 0x50",
            [`catbox_users{${ns},server="irc1"}`]: "40x60",
        },
        checks: [
            { at: 12, firing: [] },
            { at: 20, firing: [{ id: "users-lost", labels: { server: "irc0" } }] },
        ],
    },
    {
        what: "every daemon loses its users at once (the users went, not one server): silent",
        series: {
            ...alive,
            [`catbox_users{${ns},server="irc0"}`]: "50x9 0x50",
            [`catbox_users{${ns},server="irc1"}`]: "40x9 0x50",
        },
        checks: [{ at: 20, firing: [] }],
    },
    {
        what: "a peer region's hub loses its users, and its certificate fails from here: its own region's alerts, not this one's",
        series: {
            ...alive,
            ...goodCertificates,
            [`catbox_users{${ns},server="irc0"}`]: "50x60",
            [`catbox_users{${ns},server="eu0"}`]: "30x9 0x50",
            [`catbox_peer_hub{${ns},server="eu0"}`]: "1x60",
            [`catbox_tls_certificate_valid{${ns},server="eu0"}`]: "0x60",
            [`catbox_tls_certificate_expiry_timestamp_seconds{${ns},server="eu0"}`]: `${365 * 86400}x60`,
            [`catbox_servers_expected{${ns}}`]: "4x60",
            [`catbox_servers_seen{${ns},server="irc0"}`]: "4x60",
            [`catbox_servers_seen{${ns},server="eu0"}`]: "2x60",
        },
        checks: [{ at: 30, firing: [] }],
    },
    {
        what: "messages from irc0 to the peer region's hub eu0 lost from minute 10: the cross-region alert, after 5 minutes; not the delivery alert",
        series: {
            ...alive,
            [`catbox_peer_messages_sent_total{${ns},from="irc0",to="eu0"}`]: "0+1x60",
            [`catbox_peer_messages_delivered_total{${ns},from="irc0",to="eu0"}`]: "0+1x9 9x50",
        },
        checks: [
            { at: 13, firing: [] },
            { at: 20, firing: [{ id: "region-link", labels: { from: "irc0", to: "eu0" } }] },
        ],
    },
    {
        what: "the other region, in the same project and namespace, loses a daemon's users, splits and its prober stops: nothing fires here",
        series: {
            ...alive,
            ...goodCertificates,
            [`catbox_users{${ns},server="irc0"}`]: "50x60",
            [`catbox_users{${otherRegion},server="eu1"}`]: "30x9 0x50",
            [`catbox_users{${otherRegion},server="eu0"}`]: "30x60",
            [`catbox_servers_expected{${otherRegion}}`]: "4x60",
            [`catbox_servers_seen{${otherRegion},server="eu1"}`]: "1x60",
            [`catbox_prober_last_round_timestamp_seconds{${otherRegion}}`]: "0+60x10 600x50",
        },
        checks: [{ at: 30, firing: [] }],
    },
    {
        what: "this region's prober stops reporting altogether while the other region's goes on: fires",
        series: {
            ...goodCertificates,
            [`catbox_prober_last_round_timestamp_seconds{${otherRegion}}`]: "0+60x60",
        },
        checks: [
            { at: 4, firing: [] },
            { at: 6, firing: [{ id: "prober", labels: { namespace: "irc", cluster: "catbox-us", location: "us-west1-a" } }] },
        ],
    },
    {
        what: "a certificate with 20 days left is fine; with 10 it fires after 10 minutes; one that stops verifying fires too",
        series: {
            ...alive,
            [`catbox_tls_certificate_valid{${ns},server="irc0"}`]: "1x60",
            [`catbox_tls_certificate_expiry_timestamp_seconds{${ns},server="irc0"}`]: `${20 * 86400}x9 ${10 * 86400 + 600}x50`,
            [`catbox_tls_certificate_valid{${ns},server="irc1"}`]: "1x19 0x40",
            [`catbox_tls_certificate_expiry_timestamp_seconds{${ns},server="irc1"}`]: `${365 * 86400}x60`,
        },
        checks: [
            { at: 9, firing: [] },
            { at: 15, firing: [] },
            { at: 21, firing: [{ id: "certificate", labels: { server: "irc0" } }] },
            {
                at: 31,
                firing: [
                    { id: "certificate", labels: { server: "irc0" } },
                    { id: "certificate", labels: { server: "irc1" } },
                ],
            },
        ],
    },
    {
        what: "the prober stops at minute 10: fires once its last round is 5 minutes old, held 5 more",
        series: {
            ...goodCertificates,
            [`catbox_prober_last_round_timestamp_seconds{${ns}}`]: "0+60x10 600x50",
        },
        checks: [
            { at: 14, firing: [] },
            { at: 18, firing: [] },
            { at: 22, firing: [{ id: "prober" }] },
        ],
    },
];

/**
 * The counters of one pair of the largest network the config takes (20 daemons
 * and 18 peer hubs), as the prober's schedule makes them: a sample each round
 * (the scrape interval is the round's), the pair probed in the rounds
 * probePartners gives it, its messages lost from `lostFrom` minutes on.
 */
function largestNetworkPair(perRound: number, lostFrom: number): Record<string, string> {
    const n = 38;
    const [from, to] = [0, 19];
    const rounds = (60 * 60) / proberIntervalSeconds;
    let sent = 0;
    let delivered = 0;
    const sentValues: number[] = [];
    const deliveredValues: number[] = [];
    for (let round = 0; round < rounds; round++) {
        if (probePartners(from, round, n, perRound).includes(to)) {
            sent++;
            if (round * proberIntervalSeconds < lostFrom * 60) delivered++;
        }
        sentValues.push(sent);
        deliveredValues.push(delivered);
    }
    return {
        // A live prober at this interval: its last round follows the clock.
        [`catbox_prober_last_round_timestamp_seconds{${ns}}`]: `0+${proberIntervalSeconds}x${rounds}`,
        [`catbox_probe_messages_sent_total{${ns},from="irc${from}",to="irc${to}"}`]: sentValues.join(" "),
        [`catbox_probe_messages_delivered_total{${ns},from="irc${from}",to="irc${to}"}`]: deliveredValues.join(" "),
    };
}

/** Lost from minute 10: within the window and the hold (and one revisit), then firing without a gap to the hour's end. */
function largestNetworkCase(perRound: number): Case {
    const firstFiring = Math.ceil(10 + (proberRevisitSeconds + proberIntervalSeconds) / 60 + 5 + 1);
    return {
        what: `the largest network, ${perRound} partner(s) a round: a pair's messages lost from minute 10 fire by minute ${firstFiring}, and hold`,
        interval: `${proberIntervalSeconds}s`,
        series: largestNetworkPair(perRound, 10),
        checks: [
            { at: 9, firing: [] },
            { at: 12, firing: [] },
            ...Array.from({ length: 59 - firstFiring }, (_, k) => ({
                at: firstFiring + k,
                firing: [{ id: "delivery", labels: { from: "irc0", to: "irc19" } }],
            })),
        ],
    };
}

describe("the alerts, judged by Prometheus (promtool test rules)", () => {
    it("each fires when it should, held for its duration, and stays silent when it should", { skip: noPromtool, timeout: 60_000 }, () => {
        assert.deepEqual(
            alerts.map((a) => a.id).sort(),
            ["certificate", "delivery", "prober", "region-link", "services", "split", "users-lost"],
            "a new alert needs its cases here",
        );
        const r = runPromtool(cases);
        assert.equal(r.status, 0, r.output);
    });

    it(
        "delivery: every pair of the largest network is probed within the alert's window, so a lost pair fires and holds",
        { skip: noPromtool, timeout: 60_000 },
        () => {
            const perRound = partnersPerRound(38, Math.floor(proberRevisitSeconds / proberIntervalSeconds));
            // catbox lets a client send 10 lines at once (UserMessageLimit), then one a second: LUSERS, LINKS and PING, and the messages.
            assert.ok(3 + perRound <= 10, `${perRound} messages a round`);
            assert.ok(proberRevisitSeconds < deliveryWindowSeconds - proberIntervalSeconds);
            const r = runPromtool([
                largestNetworkCase(perRound),
                {
                    ...largestNetworkCase(perRound),
                    what: "all delivered: silent",
                    series: largestNetworkPair(perRound, 61),
                    checks: [{ at: 40, firing: [] }],
                },
            ]);
            assert.equal(r.status, 0, r.output);
            // One partner a round (a pair every 37 rounds, 18.5 minutes): the alert never holds, and this judge sees it.
            assert.notEqual(runPromtool([largestNetworkCase(1)]).status, 0);
        },
    );

    it("the judge can fail: a case that expects the wrong thing is refused", { skip: noPromtool, timeout: 60_000 }, () => {
        const wrong: Case = { ...cases[0], checks: [{ at: 9, firing: [{ id: "split" }] }] };
        const r = runPromtool([wrong]);
        assert.notEqual(r.status, 0, r.output);
        assert.ok(byId.split);
    });
});
