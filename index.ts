// catbox-gke: the article "Running an IRC network in Kubernetes", as one stack.
// This file reads stack config and wires the components, in the article's order.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { serverNames } from "./components/catbox/files";
import { issuedTlsSecretName, serverName } from "./components/catbox/names";
import { type RegionEndpoints, regionEndpoints } from "./components/catbox/regions";
import { chosenSecretTexts } from "./components/config/chosenSecrets";
import { maxReplicas, project, secretConfigKeys } from "./components/config/keys";
import { ConfigError, parseConfig, RawConfig, rawConfigOf, shownValue } from "./components/config/parse";
import { keepSecretInEveryInput, runtimeSecretKeys, secretWhereShown } from "./components/config/runtime";
import type { CatboxConfig, ExistingClusterConfig, GkeConfig } from "./components/config/types";
import { Credentials } from "./components/credentials/credentials";
import { ClientAddress, ClientName } from "./components/gcp/address";
import { GkeCluster } from "./components/gcp/cluster";
import { ImageRegistry } from "./components/gcp/images";
import { LetsEncrypt } from "./components/gcp/letsEncrypt";
import { NetworkMonitoring } from "./components/gcp/monitoring";
import { checkRegions, SharedName } from "./components/gcp/sharedName";
import { UptimeAlert, type UptimeAlertArgs } from "./components/gcp/uptimeAlert";
import { requireInZone, zoneDnsNameHolding } from "./components/gcp/zone";
import { ExistingCluster } from "./components/k8s/existingCluster";
import { IrcNetwork } from "./components/k8s/ircNetwork";
import { PreviewAccess } from "./components/k8s/previewAccess";
import { clientEndpointOutput, linkEndpointsOutput, type PeerClient, peerRegions } from "./components/regions/peers";
import { NetworkProber } from "./components/k8s/prober";

export = async () => {
    const all = pulumi.runtime.allConfig();
    const raw = rawConfigOf(all, runtimeSecretKeys(all), pulumi.getStack());
    const cfg = validatedConfig(raw);
    // A value set with --secret stays a secret wherever it goes, though Pulumi.yaml does not ask it.
    const chosenSecrets = chosenSecretTexts(cfg, raw);
    keepSecretInEveryInput(chosenSecrets);
    // One network, several regions: the peer regions' link endpoints, read (and
    // refused if they collide with this region's) before anything is created.
    const endpoints = regionEndpoints(cfg);
    const peers =
        cfg.platform === "gke" && cfg.peers !== undefined
            ? await peerRegions(cfg.peers, endpoints, { peersSecret: raw.secretKeys.has("peers"), secretTexts: chosenSecrets })
            : [];
    // The zone is read before anything is created: a hostname it cannot hold is a config error.
    const zoneDnsName =
        cfg.platform === "gke" && cfg.dnsZone !== undefined && cfg.hostname !== undefined
            ? await zoneDnsNameHolding(cfg.gcpProject, cfg.dnsZone, cfg.hostname, (key) => shownValue(key, raw))
            : undefined;

    // The shared name's and the hubs' records go into the zone too, and the certificate must be provable for them.
    if (cfg.platform === "gke" && zoneDnsName !== undefined) {
        if (cfg.sharedHostname !== undefined) requireInZone("sharedHostname", cfg.sharedHostname, zoneDnsName, shownValue("sharedHostname", raw));
        const hubNamesKey = cfg.serverNames ? "serverNames" : "serverNamePattern";
        for (const hub of cfg.peers !== undefined ? endpoints.hubs : []) {
            requireInZone(hubNamesKey, hub.server, zoneDnsName, shownValue(hubNamesKey, raw));
        }
    }

    // The per-pod config files and their secrets, which the article wrote by hand.
    const credentials = new Credentials("credentials", {
        linkSecret: cfg.linkSecret === undefined ? undefined : secret("linkSecret"),
        provided: cfg.tlsMode === "provided" ? { certificatePem: cfg.tlsCertificate, keyPem: secret("tlsKey") } : undefined,
        // Every name the network can grow to, so that scaling keeps the certificate
        // (with letsEncrypt, this pair only stands in until the issued one arrives).
        dnsNames: [
            ...(cfg.hostname ? [cfg.hostname] : []),
            ...(cfg.platform === "gke" && cfg.sharedHostname ? [cfg.sharedHostname] : []),
            ...(cfg.serverNames ?? Array.from({ length: maxReplicas }, (_, n) => serverName(cfg.serverNamePattern, n))),
        ],
    });

    // "Create a cluster" (and its IP and image) on GKE, or use a cluster you already have.
    const site = cfg.platform === "gke" ? onGke(cfg, zoneDnsName, { endpoints, peers }) : onExistingCluster(cfg);

    // "Run the IRC network": Secret, StatefulSet, link and client Services.
    const network = new IrcNetwork("irc", {
        config: { ...cfg, peerRegions: peers.map((p) => p.endpoints) },
        image: site.image,
        reloaderImage: site.reloaderImage,
        credentials,
        clientAddressName: site.clientAddressName,
        hubAddressNames: site.hubAddressNames,
        nodesTotal: site.nodesTotal,
        provider: site.provider,
    });

    // Seeing the network as its users do: a prober on every daemon, and its metrics.
    if (site.proberImage !== undefined) {
        new NetworkProber("prober", {
            config: cfg,
            namespace: network.namespace.metadata.name,
            image: site.proberImage,
            // A self-signed certificate is trusted as the stack's own; any other as clients trust it.
            ca: cfg.tlsMode === "selfSigned" ? credentials.certificatePem : undefined,
            podMonitoring: cfg.platform === "gke",
            peers: peers.map((p) => p.endpoints),
            provider: site.provider,
        });
    }

    return secretWhereShown(
        {
            platform: cfg.platform,
            namespace: network.namespace.metadata.name,
            serverNames: serverNames(cfg),
            // What the peer regions read of this one.
            ...(cfg.platform === "gke" && { [linkEndpointsOutput]: endpoints }),
            // With letsEncrypt, the served certificate is cert-manager's (see the README).
            ...(cfg.tlsMode !== "letsEncrypt" && { tlsCertificate: credentials.certificatePem }),
            ...site.finish(network),
        },
        chosenSecrets,
    );
};

/** What the network needs from where it runs, and what comes after it there. */
interface Site {
    provider: k8s.Provider;
    image: pulumi.Input<string>;
    reloaderImage: pulumi.Input<string>;
    /** The prober's image, where there is one. */
    proberImage?: pulumi.Input<string>;
    /** The static IP's name, for the client Service. */
    clientAddressName?: pulumi.Input<string>;
    /** With peer regions: each hub's static address, by name. */
    hubAddressNames?: pulumi.Input<string>[];
    /** Nodes the pods spread over, where the stack knows them. */
    nodesTotal?: number;
    /** Creates what needs the network, and returns this platform's stack outputs. */
    finish(network: IrcNetwork): Record<string, unknown>;
}

/** Platform gke: the cluster, the static IP, the images, an alert, and the network's own name. */
function onGke(cfg: GkeConfig, zoneDnsName: string | undefined, region: { endpoints: RegionEndpoints; peers: { client?: PeerClient }[] }): Site {
    const cluster = new GkeCluster("gke", {
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
    });
    const address = new ClientAddress("client", {
        project: cfg.gcpProject,
        region: cfg.region,
        networkName: cfg.networkName,
        clientPort: cfg.clientPort,
        keep: cfg.keepAddress,
        existing: cfg.existingAddress,
    });
    const images = new ImageRegistry("catbox", {
        project: cfg.gcpProject,
        region: cfg.region,
        networkName: cfg.networkName,
        catbox: cfg.image === undefined ? { version: cfg.catboxVersion } : { prebuilt: cfg.image },
        reloaderBase: cfg.reloaderImage,
        readers: [cluster.nodeServiceAccount.member],
    });
    // One network, several regions: each hub's public endpoint, by its server name.
    const hubAddresses =
        cfg.peers === undefined
            ? []
            : region.endpoints.hubs.map((hub, n) => {
                  const hubAddress = new ClientAddress(`hub-${n}`, {
                      project: cfg.gcpProject,
                      region: cfg.region,
                      networkName: cfg.networkName,
                      clientPort: hub.port,
                      keep: cfg.keepAddress,
                      existing: cfg.existingHubAddresses?.[n],
                  });
                  new ClientName(`hub-${n}-name`, {
                      project: cfg.gcpProject,
                      hostname: hub.server,
                      dnsZone: cfg.dnsZone,
                      ip: hubAddress.ip,
                      clientPort: hub.port,
                  });
                  return hubAddress;
              });
    // The network's shared name, answered by region: the owner writes it over every region's address.
    if (cfg.sharedNameOwner && cfg.sharedHostname !== undefined) {
        const peerClients = region.peers.flatMap((p) => (p.client ? [p.client] : []));
        new SharedName("shared-name", {
            project: cfg.gcpProject,
            networkName: cfg.networkName,
            hostname: cfg.sharedHostname,
            dnsZone: cfg.dnsZone ?? unreachable("sharedHostname without dnsZone: peers require it"),
            clientPort: cfg.clientPort,
            regions: [{ region: cfg.region, ip: address.ip }, ...peerClients],
            checkFrom: checkRegions([cfg.region, ...peerClients.map((p) => p.region)]),
        });
    }
    // "Is the network up?", which the article left to its users to find out: a
    // dashboard and alerts from the prober's metrics, and an uptime check from outside.
    const monitoring = new NetworkMonitoring("monitoring", {
        project: cfg.gcpProject,
        networkName: cfg.networkName,
        // The cluster is named after the network (components/gcp/cluster.ts).
        scope: { namespace: cfg.namespace, cluster: cfg.networkName, location: cfg.clusterLocation },
        email: cfg.alertEmail ?? cfg.adminEmail,
    });
    if (cfg.uptimeAlert) {
        // From Google's checkers around the world: the client port, each hub by the name the peer regions dial, and the shared name.
        const uptime = (name: string, host: pulumi.Input<string>, port: number, checked?: UptimeAlertArgs["checked"]) =>
            new UptimeAlert(name, { project: cfg.gcpProject, networkName: cfg.networkName, host, port, checked, channel: monitoring.channel?.name });
        uptime("uptime", address.ip, cfg.clientPort);
        for (const [n, hub] of cfg.peers === undefined ? [] : region.endpoints.hubs.entries()) {
            uptime(`hub-${n}-uptime`, hub.server, hub.port, {
                what: `hub ${hub.server}`,
                unreachable:
                    `The peer regions cannot reach hub ${hub.server} on port ${hub.port}: if every hub of this region is ` +
                    "unreachable, this region is split from the others. See `kubectl get svc,pods` and the hub's A record.",
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
    const name =
        cfg.hostname === undefined
            ? undefined
            : new ClientName("client-name", {
                  project: cfg.gcpProject,
                  hostname: cfg.hostname,
                  dnsZone: cfg.dnsZone,
                  ip: address.ip,
                  clientPort: cfg.clientPort,
              });
    return {
        provider: cluster.provider,
        image: images.ref,
        reloaderImage: images.reloaderRef,
        proberImage: images.proberRef,
        clientAddressName: address.name,
        hubAddressNames: hubAddresses.map((a) => a.name),
        nodesTotal: cluster.nodesTotal,
        finish: (network) => {
            // A certificate every client trusts, on the network's own name.
            const letsEncrypt =
                cfg.tlsMode === "letsEncrypt"
                    ? new LetsEncrypt("letsencrypt", {
                          project: cfg.gcpProject,
                          networkName: cfg.networkName,
                          dnsZone: cfg.dnsZone,
                          zoneDnsName:
                              zoneDnsName ?? unreachable("letsEncrypt without its zone read: the config check requires hostname and dnsZone"),
                          hostname: cfg.hostname,
                          // The network's shared name too: every region answers it.
                          serverNames: [...serverNames(cfg), ...(cfg.sharedHostname ? [cfg.sharedHostname] : [])],
                          acmeServer: cfg.acmeServer,
                          email: cfg.acmeEmail ?? cfg.adminEmail,
                          namespace: network.namespace.metadata.name,
                          secretName: issuedTlsSecretName(cfg.networkName),
                          provider: cluster.provider,
                          workloadPool: cluster.workloadPool,
                      })
                    : undefined;
            // Pull requests preview with an account that may not deploy.
            if (cfg.previewServiceAccount) {
                const namespaces = [network.namespace.metadata.name, ...(letsEncrypt ? [letsEncrypt.namespace] : [])];
                new PreviewAccess("preview", {
                    serviceAccount: cfg.previewServiceAccount,
                    networkName: cfg.networkName,
                    namespaces,
                    clusterScoped: { namespaces, clusterIssuers: letsEncrypt ? [letsEncrypt.issuer.metadata.name] : [] },
                    provider: cluster.provider,
                });
            }
            return {
                clusterName: cluster.cluster.name,
                kubeconfig: cluster.kubeconfig,
                clientIp: address.ip,
                // Where this region's clients connect, for the shared name's record (written by one region).
                ...(cfg.peers !== undefined && { [clientEndpointOutput]: { region: cfg.region, ip: address.ip } }),
                ircUrl: name?.url ?? address.url,
                image: images.ref,
                ...(name && !name.record && { dnsRecordToCreate: name.recordToCreate }),
            };
        },
    };
}

/** Platform kubeconfig: a cluster the stack does not own, and the images given. */
function onExistingCluster(cfg: ExistingClusterConfig): Site {
    const existing = new ExistingCluster("existing", {
        source: cfg.cluster,
        kubeconfig: cfg.cluster.kind === "contents" ? secret("kubeconfig") : undefined,
    });
    return { provider: existing.provider, image: cfg.image, reloaderImage: cfg.reloaderImage, proberImage: cfg.proberImage, finish: () => ({}) };
}

/** What the config check rules out: reaching it is a bug here, not bad config. */
function unreachable(what: string): never {
    throw new Error(what);
}

/** A key that must be a secret, read as one (the config check refused it in plain text). */
function secret(key: string): pulumi.Output<string> {
    if (!secretConfigKeys.has(key)) throw new Error(`${key} is not a secret key`);
    return new pulumi.Config(project).requireSecret(key);
}

/** The validated config, or one message (a RunError: no stack trace) before any resource exists. */
function validatedConfig(raw: RawConfig): CatboxConfig {
    try {
        return parseConfig(raw);
    } catch (e) {
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}
