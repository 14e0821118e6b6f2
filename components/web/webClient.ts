// The web client: The Lounge (web/), one Deployment per network, in public mode
// and locked to it, dialling the network's own name over TLS with the
// certificate checked (its pod resolves that name to the client Service).
// On GKE it serves HTTPS itself behind a passthrough load balancer on an
// address of its own: no proxy stands between it and the browser, so the
// address The Lounge sees, and puts in each user's ident, is the user's own
// and no header can forge it; a WebSocket stays open as long as both ends keep
// it (The Lounge pings every 25 s). On a cluster the stack does not own, a
// ClusterIP Service in plain HTTP, for the operator's own ingress.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { restrictedContainer, restrictedPod } from "../network/podSecurity";
import { podMonitoring } from "../observability/podMonitoring";
import { webMetricsSize, webSize } from "../catbox/sizing";
import { loungeConfig, loungeConfigFile, loungePaths, loungePort, type LoungeSpec, loungeTlsFiles, webHttpsPort, webSelector } from "./lounge";

/** How browsers reach it. */
export type WebServing =
    /**
     * GKE: HTTPS on 443 of this static address (by name), with the pair in a
     * kubernetes.io/tls Secret: cert-manager's (letsEncrypt), or one of its own made
     * of the provided pair.
     */
    | { kind: "loadBalancer"; addressName: pulumi.Input<string>; tls: { secretName: pulumi.Input<string> } | { pair: TlsPair } }
    /** Elsewhere: plain HTTP on port 80 of a ClusterIP Service, for the operator's ingress. */
    | { kind: "clusterIP" };

interface TlsPair {
    certificatePem: pulumi.Input<string>;
    keyPem: pulumi.Input<string>;
}

export interface WebClientArgs {
    lounge: Omit<LoungeSpec, "tlsDir">;
    namespace: pulumi.Input<string>;
    image: pulumi.Input<string>;
    /** The client Service's cluster IP: the network's name resolves to it in the pod. */
    clientServiceIp: pulumi.Input<string>;
    /** Trust for the daemons' certificate beyond the system's: the stack's own self-signed one. */
    ca?: pulumi.Input<string>;
    serving: WebServing;
    /** Its metrics' image: busybox (the reloader's), whose httpd runs configs/web-metrics.sh. */
    metricsImage: pulumi.Input<string>;
    /** Have Managed Service for Prometheus collect its metrics (GKE). */
    podMonitoring: boolean;
    provider: k8s.Provider;
}

/** The web client's metrics: configs/web-metrics.sh, as busybox httpd serves it. */
export const webMetricsScriptPath = path.join(__dirname, "..", "..", "configs", "web-metrics.sh");
const webMetricsScript = "metrics";
export const webMetricsPath = `/cgi-bin/${webMetricsScript}`;
export const webMetricsPort = 9091;

/** The Service's port: HTTPS where it serves TLS, else HTTP. */
export const webServicePort = (serving: WebServing) => (serving.kind === "loadBalancer" ? webHttpsPort : 80);

/**
 * How browsers reach it where the network runs: on GKE, HTTPS on its own
 * address with the network's pair (cert-manager's Secret with letsEncrypt, else
 * the provided pair); elsewhere, a ClusterIP Service.
 */
export function webServingOn(
    site: { webAddressName?: pulumi.Input<string> },
    network: { tlsSecret?: k8s.core.v1.Secret },
    credentials: TlsPair,
): WebServing {
    if (site.webAddressName === undefined) return { kind: "clusterIP" };
    const tls = network.tlsSecret
        ? { secretName: network.tlsSecret.metadata.name }
        : { pair: { certificatePem: credentials.certificatePem, keyPem: credentials.keyPem } };
    return { kind: "loadBalancer", addressName: site.webAddressName, tls };
}

export class WebClient extends pulumi.ComponentResource {
    readonly configMap: k8s.core.v1.ConfigMap;
    readonly metricsScript: k8s.core.v1.ConfigMap;
    /** With a provided pair: the Secret it is served from. */
    tlsSecret?: k8s.core.v1.Secret;
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
    readonly podMonitoring?: k8s.apiextensions.CustomResource;

    constructor(name: string, args: WebClientArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:WebClient", name, {}, opts);
        const net = args.lounge.networkName;
        const childOpts = { parent: this, provider: args.provider };
        const selector = webSelector(net);
        const labels = { ...selector, "app.kubernetes.io/managed-by": "pulumi" };
        const metadata = { name: `${net}-web`, namespace: args.namespace, labels };
        const https = args.serving.kind === "loadBalancer";
        const config = loungeConfig({ ...args.lounge, tlsDir: https ? loungePaths.tls : undefined });

        this.configMap = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            { metadata, data: { [loungeConfigFile]: config, ...(args.ca ? { "ca.crt": args.ca } : {}) } },
            childOpts,
        );
        this.metricsScript = new k8s.core.v1.ConfigMap(
            `${name}-metrics`,
            { metadata: { ...metadata, name: `${net}-web-metrics` }, data: { [webMetricsScript]: readFileSync(webMetricsScriptPath, "utf8") } },
            childOpts,
        );
        const tlsSecretName = this.servedPair(name, args.serving, metadata, childOpts);
        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata,
                spec: {
                    replicas: 1,
                    selector: { matchLabels: selector },
                    template: loungePod(args, {
                        labels,
                        config,
                        volumes: { config: this.configMap.metadata.name, metrics: this.metricsScript.metadata.name, tls: tlsSecretName },
                    }),
                },
            },
            childOpts,
        );
        this.service = new k8s.core.v1.Service(
            `${name}-service`,
            { metadata: serviceMetadata(metadata, args.serving), spec: serviceSpec(args.serving, selector) },
            childOpts,
        );
        this.networkPolicy = new k8s.networking.v1.NetworkPolicy(
            `${name}-network-policy`,
            { metadata, spec: webNetworkPolicySpec(selector) },
            childOpts,
        );
        if (args.podMonitoring) {
            this.podMonitoring = podMonitoring(
                `${name}-pod-monitoring`,
                { metadata, selector, path: webMetricsPath, intervalSeconds: 30, deployment: this.deployment },
                childOpts,
            );
        }
        this.registerOutputs({ serviceName: this.service.metadata.name });
    }

    /** The Secret The Lounge serves HTTPS from (one of its own for a provided pair); none without HTTPS. */
    private servedPair(name: string, serving: WebServing, metadata: { name: string }, childOpts: pulumi.CustomResourceOptions) {
        if (serving.kind !== "loadBalancer") return undefined;
        if ("secretName" in serving.tls) return serving.tls.secretName;
        const pair = serving.tls.pair;
        this.tlsSecret = new k8s.core.v1.Secret(
            `${name}-tls`,
            {
                metadata: { ...metadata, name: `${metadata.name}-tls` },
                type: "kubernetes.io/tls",
                stringData: pulumi.secret(
                    pulumi
                        .all([pair.certificatePem, pair.keyPem])
                        .apply(([crt, key]) => ({ [loungeTlsFiles.certificate]: crt, [loungeTlsFiles.key]: key })),
                ),
            },
            childOpts,
        );
        return this.tlsSecret.metadata.name;
    }
}

/**
 * Browsers from anywhere on The Lounge's port; its metrics from inside the
 * cluster (Managed Service for Prometheus' collectors run in gmp-system); nothing
 * else reaches it.
 */
function webNetworkPolicySpec(selector: Record<string, string>) {
    return {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress"],
        ingress: [
            { ports: [{ port: loungePort, protocol: "TCP" }] },
            { from: [{ namespaceSelector: {} }], ports: [{ port: webMetricsPort, protocol: "TCP" }] },
        ],
    };
}

/** The pod: The Lounge, and its metrics beside it. */
function loungePod(
    args: WebClientArgs,
    p: {
        labels: Record<string, string>;
        config: string;
        volumes: { config: pulumi.Input<string>; metrics: pulumi.Input<string>; tls?: pulumi.Input<string> };
    },
) {
    return {
        // A new config.js is read only at start: its checksum rolls the pod.
        metadata: { labels: p.labels, annotations: { "catbox-gke/config-checksum": createHash("sha256").update(p.config).digest("hex") } },
        spec: {
            automountServiceAccountToken: false,
            // The network's name, at the client Service: the certificate is checked for it.
            hostAliases: [{ ip: args.clientServiceIp, hostnames: [args.lounge.ircHost] }],
            securityContext: restrictedPod(loungeUser, true),
            containers: [loungeContainer(args, p.volumes.tls !== undefined), metricsContainer(args)],
            volumes: [
                { name: "home", emptyDir: { sizeLimit: "64Mi" } },
                { name: "config", configMap: { name: p.volumes.config } },
                { name: "metrics", configMap: { name: p.volumes.metrics, defaultMode: 0o555 } },
                ...(p.volumes.tls ? [{ name: "tls", secret: { secretName: p.volumes.tls } }] : []),
            ],
        },
    };
}

/** busybox httpd, serving configs/web-metrics.sh as CGI: The Lounge has no metrics of its own. */
function metricsContainer(args: WebClientArgs) {
    return {
        name: "metrics",
        image: args.metricsImage,
        command: ["httpd", "-f", "-p", String(webMetricsPort), "-h", "/www"],
        env: [
            { name: "IRC_ADDRESS", value: args.clientServiceIp },
            { name: "IRC_PORT", value: String(args.lounge.ircPort) },
            { name: "WEB_PORT", value: String(loungePort) },
        ],
        ports: [{ name: "metrics", containerPort: webMetricsPort, protocol: "TCP" }],
        volumeMounts: [{ name: "metrics", mountPath: "/www/cgi-bin", readOnly: true }],
        resources: {
            requests: { cpu: `${webMetricsSize.cpuRequestMilli}m`, memory: `${webMetricsSize.memoryMiB}Mi` },
            limits: { cpu: `${webMetricsSize.cpuLimitMilli}m`, memory: `${webMetricsSize.memoryLimitMiB}Mi` },
        },
        securityContext: restrictedContainer,
    };
}

/** The user the image runs as: node's, in the official Node.js image, by number (Pod Security checks numbers). */
const loungeUser = 1000;

/** GKE's passthrough load balancer on the web client's own address, as the client Service's. */
function serviceMetadata(metadata: object, serving: WebServing) {
    return serving.kind === "loadBalancer"
        ? {
              ...metadata,
              annotations: { "cloud.google.com/l4-rbs": "enabled", "networking.gke.io/load-balancer-ip-addresses": serving.addressName },
          }
        : metadata;
}

function serviceSpec(serving: WebServing, selector: Record<string, string>) {
    const port = { name: serving.kind === "loadBalancer" ? "https" : "http", port: webServicePort(serving), targetPort: "web", protocol: "TCP" };
    // Local: the browser's own address reaches The Lounge, which makes each user's ident of it.
    return serving.kind === "loadBalancer"
        ? { type: "LoadBalancer", externalTrafficPolicy: "Local", selector, ports: [port] }
        : { type: "ClusterIP", selector, ports: [port] };
}

/**
 * The Lounge, non-root on a read-only root: its home (where it writes its push
 * keys) an emptyDir with config.js mounted in. With HTTPS, it reads the pair
 * only at start: a renewed one (cert-manager's, every 60 days) fails the
 * liveness check, which compares the Secret volume's ..data link (kubelet
 * repoints it on every update) with the one at start, and kubelet restarts it.
 */
function loungeContainer(args: WebClientArgs, https: boolean) {
    const start = `exec node /app/node_modules/thelounge/index.js start`;
    const seen = `${loungePaths.home}/tls-at-start`;
    return {
        name: "thelounge",
        image: args.image,
        command: https ? ["sh", "-c", `readlink ${loungePaths.tls}/..data > ${seen} && ${start}`] : ["sh", "-c", start],
        env: [
            { name: "THELOUNGE_HOME", value: loungePaths.home },
            { name: "NODE_ENV", value: "production" },
            ...(args.ca ? [{ name: "NODE_EXTRA_CA_CERTS", value: `${loungePaths.config}/ca.crt` }] : []),
        ],
        ports: [{ name: "web", containerPort: loungePort, protocol: "TCP" }],
        readinessProbe: { httpGet: { path: "/", port: "web", scheme: https ? "HTTPS" : "HTTP" }, periodSeconds: 10 },
        livenessProbe: https
            ? {
                  exec: { command: ["sh", "-c", `[ "$(readlink ${loungePaths.tls}/..data)" = "$(cat ${seen})" ]`] },
                  periodSeconds: 60,
                  failureThreshold: 1,
              }
            : { httpGet: { path: "/", port: "web" }, periodSeconds: 30, failureThreshold: 3 },
        resources: {
            requests: { cpu: `${webSize.cpuRequestMilli}m`, memory: `${webSize.memoryMiB}Mi` },
            limits: { cpu: `${webSize.cpuLimitMilli}m`, memory: `${webSize.memoryLimitMiB}Mi` },
        },
        volumeMounts: [
            { name: "home", mountPath: loungePaths.home },
            { name: "config", mountPath: `${loungePaths.home}/${loungeConfigFile}`, subPath: loungeConfigFile, readOnly: true },
            ...(args.ca ? [{ name: "config", mountPath: loungePaths.config, readOnly: true }] : []),
            ...(https ? [{ name: "tls", mountPath: loungePaths.tls, readOnly: true }] : []),
        ],
        securityContext: restrictedContainer,
    };
}
