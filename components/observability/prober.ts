// Seeing the network as a user does: the prober (prober/), one Deployment per
// network, with an IRC client on every daemon through the daemon's own Service,
// and its metrics on /metrics; on GKE, a PodMonitoring so that Google Cloud
// Managed Service for Prometheus collects them.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type PeerEndpoints, serverNames } from "../catbox/files";
import { containerTlsPort, linkHost, podHost } from "../catbox/names";
import { proberSize } from "../catbox/sizing";
import type { NetworkSpec } from "../catbox/spec";
import { restrictedContainer, restrictedPod } from "../network/podSecurity";
import { deliveryWindowSeconds } from "./networkQueries";
import { podMonitoring } from "./podMonitoring";

/** The prober's pod labels: the daemons' NetworkPolicy admits these on the link port. */
export function proberSelector(networkName: string): Record<string, string> {
    return { "app.kubernetes.io/name": "catbox-prober", "app.kubernetes.io/instance": networkName };
}

/** The prober's image: built from its own folder (its sources, package.json and lockfile, Dockerfile) where the platform builds images. */
export const proberImageSource = { name: "prober", dir: "prober" };

export const proberMetricsPort = 9090;
/** A round every 30 s: alerts look at minutes, and each round costs every daemon a few lines. */
export const proberIntervalSeconds = 30;
/**
 * The most seconds between two probes of one pair: the delivery alerts' window
 * less three rounds, so that every window holds a probe of every pair between
 * two of its scrapes, however the rounds and the scrapes fall.
 */
export const proberRevisitSeconds = deliveryWindowSeconds - 3 * proberIntervalSeconds;
/**
 * The prober's nicks: pr<region>_0, pr<region>_1 …: short (catbox refuses a nick
 * longer than maxNickLength), and the region's own, since nicks are network-wide
 * and every region runs a prober.
 */
export const proberNickPrefix = (regionNumber: number) => `pr${regionNumber}_`;

type ProbedConfig = Pick<
    NetworkSpec,
    "networkName" | "namespace" | "clusterDomain" | "linkPort" | "replicas" | "serverNamePattern" | "serverNames" | "regionNumber" | "hubs"
> & {
    /** The name clients dial, which the certificate check asks for. */
    hostname?: string;
    /** The network has IRC services (this region's or a peer's): NickServ is asked each round. */
    services?: boolean;
};

/**
 * What the prober connects to: daemon n's own Service on the link port, and its
 * pod's TLS port; and each peer region's hubs as that region's peers reach them,
 * by public name over verified TLS, so that "can this region reach that one?" is
 * a message delivered or lost.
 */
export function proberTargets(cfg: ProbedConfig, peers: PeerEndpoints[] = []) {
    // Every region's prober keeps a client on each hub of every region; elsewhere only this region's does.
    const regions = 1 + peers.length;
    const own = serverNames(cfg).map((server, n) => ({
        server,
        host: linkHost(cfg.networkName, cfg.namespace, cfg.clusterDomain, n),
        port: cfg.linkPort,
        tlsHost: podHost(cfg.networkName, cfg.namespace, cfg.clusterDomain, n),
        tlsPort: containerTlsPort,
        probers: peers.length > 0 && n < cfg.hubs ? regions : 1,
    }));
    const hubs = peers
        .flatMap((p) => p.hubs)
        .map((hub) => ({
            server: hub.server,
            host: hub.server,
            port: hub.port,
            tlsHost: hub.server,
            tlsPort: hub.port,
            tls: true,
            probers: regions,
        }));
    return [...own, ...hubs];
}

export interface NetworkProberArgs {
    config: ProbedConfig;
    namespace: pulumi.Input<string>;
    image: pulumi.Input<string>;
    /** Trust for the served certificate beyond the system's: the stack's own self-signed one. */
    ca?: pulumi.Input<string>;
    /** Have Managed Service for Prometheus collect the metrics (GKE). */
    podMonitoring: boolean;
    /** The peer regions: their hubs are probed too, and their servers expected. */
    peers?: PeerEndpoints[];
    provider: k8s.Provider;
}

export class NetworkProber extends pulumi.ComponentResource {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly podMonitoring?: k8s.apiextensions.CustomResource;

    constructor(name: string, args: NetworkProberArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:NetworkProber", name, {}, opts);
        const cfg = args.config;
        const childOpts = { parent: this, provider: args.provider };
        const selector = proberSelector(cfg.networkName);
        const labels = { ...selector, "app.kubernetes.io/managed-by": "pulumi" };
        const metadata = { name: `${cfg.networkName}-prober`, namespace: args.namespace, labels };

        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata,
                spec: {
                    replicas: 1,
                    // Never two at once: the second's nicks would be taken.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: selector },
                    template: {
                        metadata: { labels },
                        spec: {
                            automountServiceAccountToken: false,
                            securityContext: restrictedPod(65532, false),
                            containers: [proberContainer(args)],
                        },
                    },
                },
            },
            childOpts,
        );

        if (args.podMonitoring) {
            this.podMonitoring = podMonitoring(
                `${name}-pod-monitoring`,
                { metadata, selector, intervalSeconds: proberIntervalSeconds, deployment: this.deployment },
                childOpts,
            );
        }

        this.registerOutputs({ deploymentName: this.deployment.metadata.name });
    }
}

/** The prober's container: its targets and settings in its environment, non-root on a read-only root. */
function proberContainer(args: NetworkProberArgs) {
    return {
        name: "prober",
        image: args.image,
        env: [
            { name: "PROBER_TARGETS", value: JSON.stringify(proberTargets(args.config, args.peers)) },
            {
                name: "PROBER_EXPECTED_SERVERS",
                value: String(args.config.replicas + (args.peers ?? []).reduce((sum, p) => sum + p.serverNames.length, 0)),
            },
            ...(args.config.hostname ? [{ name: "PROBER_HOSTNAME", value: args.config.hostname }] : []),
            ...(args.ca ? [{ name: "PROBER_CA", value: args.ca }] : []),
            { name: "PROBER_INTERVAL_SECONDS", value: String(proberIntervalSeconds) },
            { name: "PROBER_REVISIT_SECONDS", value: String(proberRevisitSeconds) },
            { name: "PROBER_NICK_PREFIX", value: proberNickPrefix(args.config.regionNumber) },
            { name: "PROBER_PORT", value: String(proberMetricsPort) },
            ...(args.config.services ? [{ name: "PROBER_SERVICES", value: "1" }] : []),
        ],
        ports: [{ name: "metrics", containerPort: proberMetricsPort, protocol: "TCP" }],
        readinessProbe: { httpGet: { path: "/healthz", port: "metrics" }, periodSeconds: 10 },
        livenessProbe: { httpGet: { path: "/healthz", port: "metrics" }, periodSeconds: 30, failureThreshold: 3 },
        // Measured with 3 daemons (see the README): well under these.
        resources: {
            requests: { cpu: `${proberSize.cpuRequestMilli}m`, memory: `${proberSize.memoryMiB}Mi` },
            limits: { cpu: `${proberSize.cpuLimitMilli}m`, memory: `${proberSize.memoryLimitMiB}Mi` },
        },
        securityContext: restrictedContainer,
    };
}
