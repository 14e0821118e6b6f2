// Platform gke: the cluster, its static IPs and DNS names, the registry and the
// images, the dashboard and alerts, and (after the network) Let's Encrypt and
// access for previews. What it reads first: the peer regions' endpoints and the
// Cloud DNS zone, each refused before anything is created when it cannot serve.
import * as pulumi from "@pulumi/pulumi";
import { serverNames } from "../catbox/files";
import { issuedTlsSecretName } from "../catbox/names";
import type { RegionEndpoints } from "../regions/endpoints";
import type { GkeConfig } from "../config/types";
import { ClientAddress, ClientName } from "./address";
import { GkeCluster } from "./cluster";
import { ImageRegistry, type ImageSource } from "./images";
import { LetsEncrypt } from "../tls/letsEncrypt";
import { NetworkMonitoring } from "../observability/monitoring";
import { checkRegions, SharedName } from "../regions/sharedName";
import { UptimeAlert, type UptimeAlertArgs } from "../observability/uptimeAlert";
import { requireInZone, zoneDnsNameHolding } from "./zone";
import { webHostnameOf } from "../config/values";
import { webHttpsPort } from "../web/lounge";
import { ServicesBackup } from "../services/servicesBackup";
import type { IrcNetwork } from "../network/ircNetwork";
import { PreviewAccess } from "../ci/previewAccess";
import { clientEndpointOutput, linkEndpointsOutput, type PeerClient, peerRegions, type PeerSecrecy } from "../regions/peers";
import { movedIn, type NetworkSite, type Platform, unreachable } from "./platform";

export interface GkePlatformArgs {
    config: GkeConfig;
    /** This region's link endpoints, which its peers read. */
    endpoints: RegionEndpoints;
    /** A key's value as an error may show it (a secret's never). */
    shown: (key: string) => string;
    secrecy: PeerSecrecy;
    /** The features' images, each built into the registry from its folder. */
    builtImages: ImageSource[];
}

/** What the reads before anything is created found. */
interface Read {
    zoneDnsName?: string;
    peers: { endpoints: RegionEndpoints; client?: PeerClient }[];
}

export class GkePlatform extends pulumi.ComponentResource implements Platform {
    readonly site: NetworkSite;
    private readonly cluster: GkeCluster;
    private readonly address: ClientAddress;
    private readonly images: ImageRegistry;
    private readonly name?: ClientName;
    private readonly web?: { address: ClientAddress; name: ClientName; hostname: string };
    private readonly backup?: ServicesBackup;

    /** The reads first (the peers, the zone), then the platform: nothing is created when a read refuses. */
    static async create(name: string, args: GkePlatformArgs, opts?: pulumi.ComponentResourceOptions): Promise<GkePlatform> {
        const cfg = args.config;
        // One network, several regions: the peers' link endpoints, refused if they collide with this region's.
        const peers = cfg.peers !== undefined ? await peerRegions(cfg.peers, args.endpoints, args.secrecy) : [];
        // A hostname the zone cannot hold is a config error, and so are the shared name and the hubs' names.
        const zoneDnsName =
            cfg.dnsZone !== undefined && cfg.hostname !== undefined
                ? await zoneDnsNameHolding(cfg.gcpProject, cfg.dnsZone, cfg.hostname, args.shown)
                : undefined;
        if (zoneDnsName !== undefined) {
            if (cfg.sharedHostname !== undefined) requireInZone("sharedHostname", cfg.sharedHostname, zoneDnsName, args.shown("sharedHostname"));
            const web = cfg.webClient ? webHostnameOf(cfg) : undefined;
            if (web !== undefined) requireInZone("webHostname", web, zoneDnsName, args.shown(cfg.webHostname ? "webHostname" : "hostname"));
            const hubNamesKey = cfg.serverNames ? "serverNames" : "serverNamePattern";
            for (const hub of cfg.peers !== undefined ? args.endpoints.hubs : []) {
                requireInZone(hubNamesKey, hub.server, zoneDnsName, args.shown(hubNamesKey));
            }
        }
        return new GkePlatform(name, args, { zoneDnsName, peers }, opts);
    }

    private constructor(
        name: string,
        private readonly args: GkePlatformArgs,
        private readonly read: Read,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("catbox-gke:index:GkePlatform", name, {}, opts);
        const cfg = args.config;
        const child = movedIn(this);
        this.cluster = new GkeCluster("gke", clusterArgs(cfg), child);
        this.address = new ClientAddress(
            "client",
            {
                project: cfg.gcpProject,
                region: cfg.region,
                networkName: cfg.networkName,
                clientPort: cfg.clientPort,
                keep: cfg.keepAddress,
                existing: cfg.existingAddress,
            },
            child,
        );
        this.images = new ImageRegistry(
            "catbox",
            {
                project: cfg.gcpProject,
                region: cfg.region,
                networkName: cfg.networkName,
                catbox: cfg.image === undefined ? { version: cfg.catboxVersion } : { prebuilt: cfg.image },
                reloaderBase: cfg.reloaderImage,
                readers: [this.cluster.nodeServiceAccount.member],
                built: args.builtImages,
            },
            child,
        );
        const hubAddresses = this.hubEndpoints();
        this.web = this.webEndpoint();
        this.backup = this.servicesBackup();
        this.sharedName();
        this.monitoring();
        this.name =
            cfg.hostname === undefined
                ? undefined
                : new ClientName(
                      "client-name",
                      { project: cfg.gcpProject, hostname: cfg.hostname, dnsZone: cfg.dnsZone, ip: this.address.ip, clientPort: cfg.clientPort },
                      child,
                  );
        this.site = {
            provider: this.cluster.provider,
            image: this.images.ref,
            reloaderImage: this.images.reloaderRef,
            images: this.images.builtRefs,
            clientAddressName: this.address.name,
            hubAddressNames: hubAddresses.map((a) => a.name),
            webAddressName: this.web?.address.name,
            servicesBackup: this.backup?.target,
            nodesTotal: this.cluster.nodesTotal,
            podMonitoring: true,
            peerRegions: read.peers.map((p) => p.endpoints),
        };
    }

    /** One network, several regions: each hub's public endpoint, by its server name. */
    private hubEndpoints(): ClientAddress[] {
        const cfg = this.args.config;
        if (cfg.peers === undefined) return [];
        return this.args.endpoints.hubs.map((hub, n) => {
            const hubAddress = new ClientAddress(
                `hub-${n}`,
                {
                    project: cfg.gcpProject,
                    region: cfg.region,
                    networkName: cfg.networkName,
                    clientPort: hub.port,
                    keep: cfg.keepAddress,
                    existing: cfg.existingHubAddresses?.[n],
                },
                movedIn(this),
            );
            new ClientName(
                `hub-${n}-name`,
                { project: cfg.gcpProject, hostname: hub.server, dnsZone: cfg.dnsZone, ip: hubAddress.ip, clientPort: hub.port },
                movedIn(this),
            );
            return hubAddress;
        });
    }

    /** With the web client: its own address and name, reached by browsers on 443 through a passthrough load balancer. */
    private webEndpoint() {
        const cfg = this.args.config;
        const hostname = cfg.webClient ? webHostnameOf(cfg) : undefined;
        if (hostname === undefined) return undefined;
        const address = new ClientAddress(
            "web",
            { project: cfg.gcpProject, region: cfg.region, networkName: cfg.networkName, clientPort: webHttpsPort, keep: cfg.keepAddress },
            movedIn(this),
        );
        const name = new ClientName(
            "web-name",
            { project: cfg.gcpProject, hostname, dnsZone: cfg.dnsZone, ip: address.ip, clientPort: webHttpsPort },
            movedIn(this),
        );
        return { address, name, hostname };
    }

    /** With IRC services: the bucket their database is copied to, and the account that writes it. */
    private servicesBackup() {
        const cfg = this.args.config;
        if (!cfg.services) return undefined;
        return new ServicesBackup(
            "services-backup",
            {
                project: cfg.gcpProject,
                region: cfg.region,
                networkName: cfg.networkName,
                namespace: cfg.namespace,
                keep: cfg.keepServicesBackup,
                workloadPool: this.cluster.workloadPool,
            },
            movedIn(this),
        );
    }

    /** The network's shared name, answered by region: the owner writes it over every region's address. */
    private sharedName() {
        const cfg = this.args.config;
        if (!cfg.sharedNameOwner || cfg.sharedHostname === undefined) return;
        const peerClients = this.read.peers.flatMap((p) => (p.client ? [p.client] : []));
        new SharedName(
            "shared-name",
            {
                project: cfg.gcpProject,
                networkName: cfg.networkName,
                hostname: cfg.sharedHostname,
                dnsZone: cfg.dnsZone ?? unreachable("sharedHostname without dnsZone: peers require it"),
                clientPort: cfg.clientPort,
                regions: [{ region: cfg.region, ip: this.address.ip }, ...peerClients],
                checkFrom: checkRegions([cfg.region, ...peerClients.map((p) => p.region)]),
            },
            movedIn(this),
        );
    }

    /**
     * "Is the network up?", which the article left to its users to find out: a
     * dashboard and alerts from the prober's metrics, and uptime checks from outside.
     */
    private monitoring() {
        const cfg = this.args.config;
        const monitoring = new NetworkMonitoring(
            "monitoring",
            {
                project: cfg.gcpProject,
                networkName: cfg.networkName,
                // The cluster is named after the network (components/platform/cluster.ts).
                scope: { namespace: cfg.namespace, cluster: cfg.networkName, location: cfg.clusterLocation },
                email: cfg.alertEmail ?? cfg.adminEmail,
                beside: { webClient: cfg.webClient, services: cfg.services },
            },
            movedIn(this),
        );
        if (!cfg.uptimeAlert) return;
        // From Google's checkers around the world: the client port, each hub by the name the peer regions dial, and the shared name.
        const uptime = (name: string, host: pulumi.Input<string>, port: number, checked?: UptimeAlertArgs["checked"]) =>
            new UptimeAlert(
                name,
                { project: cfg.gcpProject, networkName: cfg.networkName, host, port, checked, channel: monitoring.channel?.name },
                movedIn(this),
            );
        uptime("uptime", this.address.ip, cfg.clientPort);
        for (const [n, hub] of cfg.peers === undefined ? [] : this.args.endpoints.hubs.entries()) {
            uptime(`hub-${n}-uptime`, hub.server, hub.port, {
                what: `hub ${hub.server}`,
                unreachable:
                    `The peer regions cannot reach hub ${hub.server} on port ${hub.port}: if every hub of this region is ` +
                    "unreachable, this region is split from the others. See `kubectl get svc,pods` and the hub's A record.",
            });
        }
        if (this.web) {
            uptime("web-uptime", this.web.hostname, webHttpsPort, {
                what: `web client ${this.web.hostname}`,
                unreachable: `Browsers cannot reach the web client at https://${this.web.hostname}/: see \`kubectl get svc,pods -l app.kubernetes.io/name=catbox-web\`.`,
            });
        }
        if (cfg.sharedNameOwner && cfg.sharedHostname !== undefined) {
            uptime("shared-name-uptime", cfg.sharedHostname, cfg.clientPort, {
                what: `shared name ${cfg.sharedHostname}`,
                unreachable:
                    `Clients of ${cfg.sharedHostname} cannot connect from some places: the region its geolocation record ` +
                    "sends them to is down and its health check has not yet left it out, or every region is down.",
            });
        }
    }

    attach(network: IrcNetwork): Record<string, unknown> {
        const cfg = this.args.config;
        // A certificate every client trusts, on the network's own name.
        const letsEncrypt =
            cfg.tlsMode === "letsEncrypt"
                ? new LetsEncrypt(
                      "letsencrypt",
                      {
                          project: cfg.gcpProject,
                          networkName: cfg.networkName,
                          dnsZone: cfg.dnsZone,
                          zoneDnsName:
                              this.read.zoneDnsName ??
                              unreachable("letsEncrypt without its zone read: the config check requires hostname and dnsZone"),
                          hostname: cfg.hostname,
                          // The network's shared name too: every region answers it.
                          serverNames: [
                              ...serverNames(cfg),
                              ...(cfg.sharedHostname ? [cfg.sharedHostname] : []),
                              ...(this.web ? [this.web.hostname] : []),
                          ],
                          acmeServer: cfg.acmeServer,
                          email: cfg.acmeEmail ?? cfg.adminEmail,
                          namespace: network.namespace.metadata.name,
                          secretName: issuedTlsSecretName(cfg.networkName),
                          provider: this.cluster.provider,
                          workloadPool: this.cluster.workloadPool,
                      },
                      movedIn(this),
                  )
                : undefined;
        // Pull requests preview with an account that may not deploy.
        if (cfg.previewServiceAccount) {
            const namespaces = [network.namespace.metadata.name, ...(letsEncrypt ? [letsEncrypt.namespace] : [])];
            new PreviewAccess(
                "preview",
                {
                    serviceAccount: cfg.previewServiceAccount,
                    networkName: cfg.networkName,
                    namespaces,
                    clusterScoped: { namespaces, clusterIssuers: letsEncrypt ? [letsEncrypt.issuer.metadata.name] : [] },
                    provider: this.cluster.provider,
                },
                movedIn(this),
            );
        }
        const outputs = {
            // What the peer regions read of this one.
            [linkEndpointsOutput]: this.args.endpoints,
            clusterName: this.cluster.cluster.name,
            kubeconfig: this.cluster.kubeconfig,
            clientIp: this.address.ip,
            // Where this region's clients connect, for the shared name's record (written by one region).
            ...(cfg.peers !== undefined && { [clientEndpointOutput]: { region: cfg.region, ip: this.address.ip } }),
            ircUrl: this.name?.url ?? this.address.url,
            image: this.images.ref,
            ...(this.name && !this.name.record && { dnsRecordToCreate: this.name.recordToCreate }),
            ...(this.web && { webUrl: `https://${this.web.hostname}/` }),
            ...(this.web && !this.web.name.record && { webDnsRecordToCreate: this.web.name.recordToCreate }),
            ...(this.backup && { servicesBackupBucket: this.backup.bucket.name }),
        };
        this.registerOutputs({ clusterName: outputs.clusterName, clientIp: outputs.clientIp });
        return outputs;
    }
}

/** The cluster, as the config says. */
function clusterArgs(cfg: GkeConfig) {
    return {
        project: cfg.gcpProject,
        location: cfg.clusterLocation,
        networkName: cfg.networkName,
        machineType: cfg.machineType,
        nodeCount: cfg.nodeCount,
        spotNodes: cfg.spotNodes,
        deletionProtection: cfg.deletionProtection,
        ciServiceAccount: cfg.ciServiceAccount,
        maintenance: {
            days: cfg.maintenanceDays,
            start: cfg.maintenanceStart,
            hours: cfg.maintenanceHours,
            exclusions: cfg.maintenanceExclusions ?? [],
        },
    };
}
