// Seeing the network, under Pulumi's mocks: the prober's Deployment and what
// collects its metrics, what the daemons' NetworkPolicy admits, the dashboard and
// the alerts, with every PromQL expression read by Prometheus' own PromQL parser.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parser } from "@prometheus-io/lezer-promql";
import { containerLinkPort, containerTlsPort } from "../../components/catbox/names";
import { networkAlerts, networkCharts } from "../../components/observability/networkQueries";
import { proberSelector, proberTargets } from "../../components/observability/prober";
import { newMetrics } from "../../prober/metrics";

/** The default stack's series: its namespace in its own cluster, named after the network, at its location. */
const scope = { namespace: "irc", cluster: "catbox", location: "us-west1-a" };
import { byType, config, one, run, T } from "../support/helpers";

const root = path.join(__dirname, "..", "..");

/** The PromQL parser's errors in `q`, as text; none for an expression Prometheus would take. */
function promqlErrors(q: string): string[] {
    const errors: string[] = [];
    parser.parse(q).iterate({
        enter: (n) => {
            if (n.type.isError) errors.push(`at ${n.from}: "${q.slice(Math.max(0, n.from - 10), n.to + 10)}"`);
        },
    });
    return errors;
}

/** The metric names an expression reads (its vector selectors' names). */
function metricNames(q: string): string[] {
    const names: string[] = [];
    parser.parse(q).iterate({
        enter: (n) => {
            if (n.name === "Identifier" && n.node.parent?.name === "VectorSelector") names.push(q.slice(n.from, n.to));
        },
    });
    return names;
}

const deployment = (rs: Awaited<ReturnType<typeof run>>["resources"]) => one(rs, T.deployment);

describe("the prober on the cluster", () => {
    it("a Deployment of one non-root pod with a read-only root, its image built from prober/ and pulled by digest", async () => {
        const { resources } = await run({ replicas: "3", nodeCount: "3" });
        const d = deployment(resources).inputs;
        assert.equal(d.spec.replicas, 1);
        assert.equal(d.spec.strategy.type, "Recreate", "two probers at once would fight over their nicks");
        const pod = d.spec.template.spec;
        assert.equal(pod.automountServiceAccountToken, false, "it needs no Kubernetes API");
        const c = pod.containers[0];
        assert.equal(c.securityContext.readOnlyRootFilesystem, true);
        assert.equal(c.securityContext.runAsNonRoot, true);
        assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
        assert.ok(c.resources.limits.memory && c.resources.limits.cpu);
        const image = one(resources, T.image, "catbox-prober").inputs;
        assert.equal(image.build.context, "prober");
        assert.equal(image.build.dockerfile, "prober/Dockerfile");
        assert.match(c.image, /\/prober@sha256:/);
    });

    it("targets every daemon's own Service on the link port, and each pod's TLS port, by its server name", async () => {
        const { resources } = await run({ replicas: "3", nodeCount: "3", hostname: "irc.example.org" });
        const env = Object.fromEntries(deployment(resources).inputs.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
        const targets = JSON.parse(env.PROBER_TARGETS);
        assert.deepEqual(
            targets.map((t: any) => [t.server, t.host, t.port, t.tlsHost, t.tlsPort]),
            [0, 1, 2].map((n) => [
                `irc${n}.example.org`,
                `catbox-${n}.irc.svc.cluster.local`,
                6667,
                `catbox-${n}.catbox-headless.irc.svc.cluster.local`,
                containerTlsPort,
            ]),
        );
        assert.equal(env.PROBER_HOSTNAME, "irc.example.org", "every certificate must also hold the client name");
        // Nicks are network-wide, and every region runs a prober: the region is in them.
        assert.equal(env.PROBER_NICK_PREFIX, "pr0_");
        const region2 = {
            regionNumber: "2",
            peers: '["prod-eu"]',
            tlsMode: "letsEncrypt",
            hostname: "us.irc.example.org",
            dnsZone: "example-org",
            linkSecret: "a-shared-link-secret-of-the-network",
        };
        const inRegion2 = (await run(region2, ["linkSecret"])).resources;
        const env2 = Object.fromEntries(deployment(inRegion2).inputs.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
        assert.equal(env2.PROBER_NICK_PREFIX, "pr2_");
        // Each link Service exists under the name the prober dials.
        for (const t of targets) {
            assert.ok(byType(resources, T.service).some((s) => `${s.inputs.metadata.name}.irc.svc.cluster.local` === t.host));
        }
    });

    it("the daemons' NetworkPolicy admits it on the link port, and nothing else new", async () => {
        const np = one((await run()).resources, T.networkPolicy).inputs.spec;
        const link = np.ingress.find((r: any) => r.ports[0].port === containerLinkPort);
        assert.deepEqual(
            link.from.map((f: any) => f.podSelector.matchLabels),
            [{ "app.kubernetes.io/name": "catbox", "app.kubernetes.io/instance": "catbox" }, proberSelector("catbox")],
        );
        assert.deepEqual(
            np.ingress.map((r: any) => r.ports.map((p: any) => p.port)),
            [[containerLinkPort], [containerTlsPort]],
        );
    });

    it("with a self-signed certificate, trusts the stack's own; with Let's Encrypt, the system's", async () => {
        const env = async (values: Record<string, string>) =>
            Object.fromEntries(
                deployment((await run(values)).resources).inputs.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]),
            );
        assert.match((await env({})).PROBER_CA, /BEGIN CERTIFICATE/);
        assert.equal(
            (await env({ tlsMode: "letsEncrypt", hostname: "irc.example.org", dnsZone: "example-org", acmeServer: "staging" })).PROBER_CA,
            undefined,
        );
    });

    it("on GKE, Managed Service for Prometheus collects its metrics: enabled on the cluster, a PodMonitoring on its port", async () => {
        const { resources } = await run();
        const cluster = one(resources, T.cluster).inputs;
        assert.equal(cluster.monitoringConfig.managedPrometheus.enabled, true);
        const pm = one(resources, T.podMonitoring).inputs;
        assert.deepEqual(pm.spec.selector.matchLabels, proberSelector("catbox"));
        const port = deployment(resources).inputs.spec.template.spec.containers[0].ports[0];
        assert.deepEqual(
            pm.spec.endpoints.map((e: any) => e.port),
            [port.name],
        );
    });

    it("on platform kubeconfig, runs with proberImage, without a PodMonitoring (no managed collection there); without it, not at all", async () => {
        const base = { platform: "kubeconfig", image: "catbox:v1" };
        const withProber = (await run({ ...base, proberImage: "catbox-prober:dev" }, [], { extra: {} })).resources;
        assert.equal(deployment(withProber).inputs.spec.template.spec.containers[0].image, "catbox-prober:dev");
        assert.equal(byType(withProber, T.podMonitoring).length, 0);
        assert.equal(byType((await run(base, [], { extra: {} })).resources, T.deployment).length, 0);
    });
});

describe("the probers' own clients, which LUSERS counts", () => {
    it("one on each daemon; on a hub of a network of regions, one per region (each region's prober is on every hub)", () => {
        const cfg = config({ replicas: "3", nodeCount: "3", hubs: "2" });
        const peer = {
            regionNumber: 2,
            serverNames: ["eu0", "eu1"],
            sids: ["200", "201"],
            hubs: [
                { server: "eu0", port: 6697 },
                { server: "eu1", port: 6697 },
            ],
        };
        const third = { ...peer, regionNumber: 3, serverNames: ["ap0"], sids: ["300"], hubs: [{ server: "ap0", port: 6697 }] };
        assert.deepEqual(
            proberTargets(cfg).map((t) => t.probers),
            [1, 1, 1],
        );
        const targets = proberTargets(cfg, [peer, third]);
        assert.deepEqual(
            targets.map((t) => [t.server.replace(/\..*/, ""), t.probers, !!("tls" in t && t.tls)]),
            [
                ["irc0", 3, false],
                ["irc1", 3, false],
                ["irc2", 1, false],
                ["eu0", 3, true],
                ["eu1", 3, true],
                ["ap0", 3, true],
            ],
        );
    });
});

describe("the dashboard and the alerts", () => {
    const exported = new Set(
        newMetrics()
            .registry.getMetricsAsArray()
            .flatMap((m) => (String(m.type) === "histogram" ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name])),
    );
    /** GKE's own container metric, in Cloud Monitoring's PromQL naming. */
    const gkeMetrics = new Set(["kubernetes_io:container_restart_count"]);
    const queries = [...networkCharts(scope).flatMap((c) => c.queries.map((q) => q.promql)), ...networkAlerts(scope).map((a) => a.promql)];

    it("every PromQL expression parses, and reads only metrics the prober exports (or GKE's restart count)", () => {
        for (const q of queries) {
            assert.deepEqual(promqlErrors(q), [], q);
            const names = metricNames(q);
            assert.ok(names.length > 0, `no metric in ${q}`);
            for (const n of names) assert.ok(exported.has(n) || gkeMetrics.has(n), `${n} is not a metric (${q})`);
        }
    });

    it("the PromQL check itself finds a typo and an unknown metric", () => {
        assert.notDeepEqual(promqlErrors("sum by (server (catbox_up)"), []);
        assert.ok(!exported.has(metricNames("max(catbox_servers_sen)")[0]));
    });

    it("the dashboard: a chart per query group, two abreast in 48 columns, none overlapping, each a PromQL line chart", async () => {
        const json = JSON.parse(one((await run()).resources, T.dashboard).inputs.dashboardJson);
        // The API returns no position of 0 (proto3 drops default values): written, it would diff on every preview.
        for (const t of json.mosaicLayout.tiles) assert.ok(t.xPos !== 0 && t.yPos !== 0, `"${t.widget.title}" writes a position of 0`);
        const tiles = json.mosaicLayout.tiles.map((t: any) => ({ xPos: 0, yPos: 0, ...t }));
        assert.equal(json.mosaicLayout.columns, 48);
        assert.equal(tiles.length, networkCharts(scope).length);
        for (const [i, t] of tiles.entries()) {
            assert.ok(t.xPos + t.width <= 48 && t.width > 0 && t.height > 0);
            for (const u of tiles.slice(i + 1)) {
                const apart = t.xPos + t.width <= u.xPos || u.xPos + u.width <= t.xPos || t.yPos + t.height <= u.yPos || u.yPos + u.height <= t.yPos;
                assert.ok(apart, `"${t.widget.title}" overlaps "${u.widget.title}"`);
            }
            assert.ok(t.widget.xyChart.dataSets.length > 0);
            for (const ds of t.widget.xyChart.dataSets) assert.deepEqual(promqlErrors(ds.timeSeriesQuery.prometheusQuery), []);
        }
        const titles = tiles.map((t: any) => t.widget.title).join(" | ");
        for (const want of [/Users per server/, /Servers each daemon sees/, /delivered/, /delivery time/, /PING/, /restarts/]) {
            assert.match(titles, want);
        }
    });

    it("an alert policy per alert, in PromQL over this namespace, each held for its duration, emailing the channel the uptime alert uses too", async () => {
        const { resources } = await run({ adminEmail: "ops@irc-operators.net" });
        const channel = one(resources, T.notificationChannel);
        const policies = byType(resources, T.alertPolicy);
        const promqlPolicies = policies.filter((p) => p.inputs.conditions[0].conditionPrometheusQueryLanguage);
        assert.equal(promqlPolicies.length, networkAlerts(scope).length);
        for (const p of promqlPolicies) {
            const c = p.inputs.conditions[0].conditionPrometheusQueryLanguage;
            assert.deepEqual(promqlErrors(c.query), []);
            assert.match(c.query, /namespace="irc"/);
            // Each alert's own hold (the promtool cases judge them), not one for all.
            const alert = networkAlerts(scope).find((a) => a.promql === c.query);
            assert.ok(alert, `a policy for no alert: ${c.query}`);
            assert.equal(c.duration, alert.duration, alert.id);
            assert.equal(c.disableMetricValidation, true, "the first up would fail before the prober has run");
            assert.ok(p.inputs.documentation.content.length > 40, "what it means for a user");
        }
        // Every policy, the uptime one included, emails the one channel.
        for (const p of policies) assert.equal(p.inputs.notificationChannels.length, 1, p.name);
        assert.equal(policies.length, promqlPolicies.length + 1, "and the uptime alert's");
        assert.deepEqual([...new Set(policies.map((p) => p.inputs.notificationChannels[0]))].length, 1);
        assert.ok(policies[0].inputs.notificationChannels[0]);
        // The channel was the uptime alert's: its old URN is an alias, so it is kept, not made anew.
        assert.ok(
            channel.aliases.some((a: any) => JSON.stringify(a).includes("uptime-email")),
            JSON.stringify(channel.aliases),
        );
    });

    it("every query reads this region's series only: its namespace, cluster and location", () => {
        const queries = [...networkCharts(scope).flatMap((c) => c.queries.map((q) => q.promql)), ...networkAlerts(scope).map((a) => a.promql)];
        for (const q of queries) {
            const selectors = [...q.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
            assert.ok(selectors.length > 0, q);
            for (const sel of selectors) {
                assert.match(sel, /namespace(_name)?="irc"/, q);
                assert.match(sel, /cluster(_name)?="catbox"/, q);
                assert.match(sel, /location="us-west1-a"/, q);
            }
        }
    });

    it("the split alert compares the servers seen with the servers expected; the delivery alert counts what was sent and not delivered", () => {
        const byId = Object.fromEntries(networkAlerts(scope).map((a) => [a.id, a]));
        assert.deepEqual(metricNames(byId.split.promql), ["catbox_servers_seen", "catbox_peer_hub", "catbox_servers_expected"]);
        assert.match(byId.split.promql, /\) < max\(/);
        assert.deepEqual(metricNames(byId.delivery.promql), ["catbox_probe_messages_sent_total", "catbox_probe_messages_delivered_total"]);
        assert.match(byId.delivery.promql, /sent_total.*\) - sum.*delivered_total.*\) > 0\.5$/);
        assert.match(byId.certificate.promql, /< 14 \* 86400$/);
        assert.equal(byId.split.duration, "120s");
        assert.equal(byId.delivery.duration, "300s");
    });
});

describe("the prober's image", () => {
    it("pins the versions the project's lockfile installs, so that the tests run what the image runs", () => {
        const own = JSON.parse(readFileSync(path.join(root, "prober", "package.json"), "utf8"));
        const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8"));
        for (const [name, version] of Object.entries({ ...own.dependencies, ...own.devDependencies })) {
            assert.equal(lock.packages[`node_modules/${name}`]?.version, version, name);
        }
        const proberLock = JSON.parse(readFileSync(path.join(root, "prober", "package-lock.json"), "utf8"));
        for (const name of Object.keys(own.dependencies)) assert.equal(proberLock.packages[`node_modules/${name}`].version, own.dependencies[name]);
    });
});
