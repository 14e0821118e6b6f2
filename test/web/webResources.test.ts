// The web client under Pulumi's mock engine: what `up` would create for it on
// each platform, its inputs, secrets and dependencies; off by default.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { loungeConfig, webSelector } from "../../components/web/lounge";
import { mockClusterIp } from "../../harness/offline/mocks";
import { selfSignedPair } from "../../harness/realCatbox/tlsPair";
import { byType, type Registered, run, T } from "../support/helpers";

const le = { tlsMode: "letsEncrypt", hostname: "irc.example.org", dnsZone: "example-org", adminEmail: "ops@irc-operators.net", webClient: "true" };
const kubeconfig = { platform: "kubeconfig", image: "catbox:1", webClient: "true", webImage: "catbox-web:dev" };
const isWeb = (r: Registered) => r.name.startsWith("web");
const webObjects = (rs: Registered[]) => rs.filter((r) => r.type.startsWith("kubernetes:") && isWeb(r));
const deploymentOf = (rs: Registered[]) => byType(rs, T.deployment).find((d) => d.name === "web-deployment")!;

describe("the web client's resources", () => {
    it("is off by default: no object, address, record, image or uptime check of its own", async () => {
        const { resources } = await run({ ...le, webClient: "false" });
        assert.deepEqual(
            resources.filter((r) => /web/.test(r.name)).map((r) => r.name),
            [],
        );
    });

    it("on GKE: HTTPS on its own static address through the passthrough load balancer, with cert-manager's pair", async () => {
        const { resources } = await run(le);
        const service = byType(resources, T.service).find((s) => s.name === "web-service")!;
        assert.equal(service.inputs.spec.type, "LoadBalancer");
        // The browser's own address reaches The Lounge: the ident opers ban by.
        assert.equal(service.inputs.spec.externalTrafficPolicy, "Local");
        assert.deepEqual(service.inputs.spec.ports, [{ name: "https", port: 443, targetPort: "web", protocol: "TCP" }]);
        const address = byType(resources, T.address).find((a) => a.name === "web-ip")!;
        assert.equal(address.inputs.addressType, "EXTERNAL");
        assert.match(service.inputs.metadata.annotations["networking.gke.io/load-balancer-ip-addresses"], /^web-ip-/);
        assert.equal(service.inputs.metadata.annotations["cloud.google.com/l4-rbs"], "enabled");
        // Its A record in the zone, and the certificate issued for it too.
        const record = byType(resources, T.dnsRecord).find((r) => r.inputs.name === "web.irc.example.org.")!;
        assert.deepEqual(record.inputs.rrdatas, ["203.0.113.7"]);
        const certificate = byType(resources, T.certificate)[0];
        assert.ok(certificate.inputs.spec.dnsNames.includes("web.irc.example.org"));
        // Served with the issued pair, from cert-manager's Secret.
        const pod = deploymentOf(resources).inputs.spec.template.spec;
        assert.deepEqual(
            pod.volumes.find((v: { name: string }) => v.name === "tls"),
            { name: "tls", secret: { secretName: "catbox-tls" } },
        );
        const uptime = byType(resources, T.uptimeCheck).find((u) => u.name.startsWith("web-uptime"))!;
        assert.equal(uptime.inputs.monitoredResource.labels.host, "web.irc.example.org");
    });

    it("dials the network's name over TLS, resolved in its pod to the client Service, with the certificate checked", async () => {
        const { resources } = await run(le);
        const pod = deploymentOf(resources).inputs.spec.template.spec;
        assert.deepEqual(pod.hostAliases, [{ ip: mockClusterIp("irc-client"), hostnames: ["irc.example.org"] }]);
        const config = byType(resources, T.configMap).find((c) => c.name === "web-config")!.inputs.data["config.js"];
        assert.match(config, /"host": "irc\.example\.org",\s+"port": 7000,[\s\S]*"tls": true,\s+"rejectUnauthorized": true/);
        assert.match(config, /"lockNetwork": true/);
        assert.match(config, /"useHexIp": true/);
        assert.match(config, /"public": true/);
    });

    it("runs under Pod Security restricted: non-root by number, read-only root, no token, no capability", async () => {
        const { resources } = await run(le);
        const pod = deploymentOf(resources).inputs.spec.template.spec;
        assert.equal(pod.automountServiceAccountToken, false);
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.equal(typeof pod.securityContext.runAsUser, "number");
        const [container] = pod.containers;
        assert.equal(container.securityContext.readOnlyRootFilesystem, true);
        assert.equal(container.securityContext.allowPrivilegeEscalation, false);
        assert.deepEqual(container.securityContext.capabilities, { drop: ["ALL"] });
        assert.equal(container.securityContext.seccompProfile.type, "RuntimeDefault");
        // Its image's user, as web/Dockerfile names it.
        const dockerfile = readFileSync(path.join(__dirname, "..", "..", "web", "Dockerfile"), "utf8");
        assert.match(dockerfile, new RegExp(`^USER ${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}$`, "m"));
    });

    it("admits browsers on The Lounge's port, its metrics from inside the cluster, and nothing else new: the daemons' policy is unchanged", async () => {
        // One run at a time: the mock engine is one per process.
        const withWeb = await run(le);
        const without = await run({ ...le, webClient: "false" });
        const policy = byType(withWeb.resources, T.networkPolicy).find((p) => p.name === "web-network-policy")!;
        assert.deepEqual(policy.inputs.spec, {
            podSelector: { matchLabels: webSelector("catbox") },
            policyTypes: ["Ingress"],
            ingress: [{ ports: [{ port: 9000, protocol: "TCP" }] }, { from: [{ namespaceSelector: {} }], ports: [{ port: 9091, protocol: "TCP" }] }],
        });
        const daemons = (rs: Registered[]) => byType(rs, T.networkPolicy).find((p) => p.name === "irc-network-policy")!.inputs.spec;
        assert.deepEqual(daemons(withWeb.resources), daemons(without.resources));
    });

    it("its image is built into the stack's registry and run by digest", async () => {
        const { resources } = await run(le);
        const image = byType(resources, T.image).find((i) => i.name === "catbox-web")!;
        assert.equal(image.inputs.build.context, "web");
        assert.match(deploymentOf(resources).inputs.spec.template.spec.containers[0].image, /\/web@sha256:/);
    });

    it("a new config.js rolls its pod, and a renewed certificate restarts The Lounge (it reads the pair only at start)", async () => {
        const a = await run(le);
        const b = await run({ ...le, clientPort: "7001" });
        const checksum = (rs: Registered[]) => deploymentOf(rs).inputs.spec.template.metadata.annotations["catbox-gke/config-checksum"];
        assert.notEqual(checksum(a.resources), checksum(b.resources));
        const container = deploymentOf(a.resources).inputs.spec.template.spec.containers[0];
        assert.match(container.livenessProbe.exec.command.join(" "), /readlink \/etc\/thelounge-tls\/\.\.data/);
        assert.match(container.command.join(" "), /readlink \/etc\/thelounge-tls\/\.\.data > \S+ && exec node/);
    });

    it("with a provided pair on GKE, a TLS Secret of its own holds it, as a Pulumi secret", async () => {
        const pair = selfSignedPair(["irc.example.org", "chat.example.org"]);
        const values = {
            webClient: "true",
            hostname: "irc.example.org",
            webHostname: "chat.example.org",
            tlsMode: "provided",
            tlsCertificate: pair.certificatePem,
            tlsKey: pair.keyPem,
        };
        const { resources } = await run(values, ["tlsKey"]);
        const secret = byType(resources, T.secret).find((s) => s.name === "web-tls")!;
        assert.equal(secret.inputs.type, "kubernetes.io/tls");
        assert.ok(secret.secretInputs.includes("stringData"), "the pair's Secret is not a Pulumi secret");
    });

    it("on kubeconfig: the given image behind a ClusterIP Service in plain HTTP, for the operator's ingress", async () => {
        const { resources, outputs } = await run(kubeconfig);
        const service = byType(resources, T.service).find((s) => s.name === "web-service")!;
        assert.deepEqual(service.inputs.spec, {
            type: "ClusterIP",
            selector: webSelector("catbox"),
            ports: [{ name: "http", port: 80, targetPort: "web", protocol: "TCP" }],
        });
        assert.equal(deploymentOf(resources).inputs.spec.template.spec.containers[0].image, "catbox-web:dev");
        assert.equal(outputs.webService, "catbox-web");
        assert.equal(byType(resources, T.address).length, 0);
        // With the self-signed pair, trusted as the stack's own.
        const pod = deploymentOf(resources).inputs.spec.template.spec;
        assert.ok(pod.containers[0].env.some((e: { name: string }) => e.name === "NODE_EXTRA_CA_CERTS"));
        // Its config, its metrics' script, Deployment, Service, NetworkPolicy: no PodMonitoring off GKE.
        assert.deepEqual(
            webObjects(resources)
                .map((r) => r.type)
                .sort(),
            [T.configMap, T.configMap, T.deployment, T.networkPolicy, T.service].sort(),
        );
    });

    it("renders config.js as The Lounge reads it: a module whose export is the config", () => {
        const text = loungeConfig({ networkName: "n", ircHost: "irc.example.org", ircPort: 6697, reverseProxy: false, maxNickLength: 9 });
        const module = { exports: {} as Record<string, unknown> };
        new Function("module", text)(module);
        assert.equal(module.exports.public, true);
        assert.equal((module.exports.defaults as { nick: string }).nick.length, 8);
    });

    it("its metrics, beside it in busybox's httpd, are collected on GKE and charted on the dashboard", async () => {
        const { resources } = await run(le);
        const monitoring = byType(resources, T.podMonitoring).find((p) => p.name === "web-pod-monitoring")!;
        assert.deepEqual(monitoring.inputs.spec.endpoints, [{ port: "metrics", path: "/cgi-bin/metrics", interval: "30s" }]);
        const pod = deploymentOf(resources).inputs.spec.template.spec;
        const metrics = pod.containers.find((c: { name: string }) => c.name === "metrics");
        assert.match(metrics.image, /\/reloader@sha256:/);
        assert.deepEqual(
            metrics.env.find((e: { name: string }) => e.name === "IRC_ADDRESS"),
            { name: "IRC_ADDRESS", value: mockClusterIp("irc-client") },
        );
        const dashboard = JSON.parse(byType(resources, T.dashboard)[0].inputs.dashboardJson);
        const queries = dashboard.mosaicLayout.tiles.flatMap((t: any) =>
            t.widget.xyChart.dataSets.map((d: any) => d.timeSeriesQuery.prometheusQuery),
        );
        assert.ok(queries.some((q: string) => q.startsWith("max(catbox_web_users{")));
        const off = await run({ ...le, webClient: "false" });
        assert.doesNotMatch(byType(off.resources, T.dashboard)[0].inputs.dashboardJson, /catbox_web_/);
    });
});
