// catbox-gke: the article "Running an IRC network in Kubernetes", as one stack.
// This file reads stack config and wires the components, in the article's order.
import * as pulumi from "@pulumi/pulumi";
import { serverNames } from "./components/catbox/files";
import { serverName, servicesServerName } from "./components/catbox/names";
import { regionEndpoints } from "./components/regions/endpoints";
import { chosenSecretTexts } from "./components/config/chosenSecrets";
import { maxReplicas } from "./components/config/keys";
import { ConfigError, parseConfig, RawConfig, rawConfigOf, shownValue } from "./components/config/parse";
import { keepSecretInEveryInput, runtimeSecretKeys, secretWhereShown } from "./components/config/runtime";
import type { CatboxConfig } from "./components/config/types";
import { Credentials } from "./components/tls/credentials";
import { IrcNetwork } from "./components/network/ircNetwork";
import { NetworkProber, proberImageSource, proberSelector } from "./components/observability/prober";
import { ExistingClusterPlatform } from "./components/platform/existing";
import { GkePlatform } from "./components/platform/gke";
import { type NetworkSite, type Platform, secretConfig } from "./components/platform/platform";
import { loungeSpecOf, webImageSource } from "./components/web/lounge";
import { WebClient, webServingOn } from "./components/web/webClient";
import { athemeSpecOf } from "./components/services/atheme";
import { IrcServices, servicesImageSource, servicesSelector } from "./components/services/ircServices";

export = async () => {
    const all = pulumi.runtime.allConfig();
    const raw = rawConfigOf(all, runtimeSecretKeys(all), pulumi.getStack());
    const cfg = validatedConfig(raw);
    // A value set with --secret stays a secret wherever it goes, though Pulumi.yaml does not ask it.
    const chosenSecrets = chosenSecretTexts(cfg, raw);
    keepSecretInEveryInput(chosenSecrets);
    // What this region tells its peers (one network, several regions).
    const endpoints = regionEndpoints(cfg);

    // "Create a cluster" (and its IP and image) on GKE, or use a cluster you already have;
    // each platform reads what it must (the peers, the DNS zone) before anything is created.
    const platform: Platform =
        cfg.platform === "gke"
            ? await GkePlatform.create("gke-platform", {
                  config: cfg,
                  endpoints,
                  shown: (key) => shownValue(key, raw),
                  secrecy: { peersSecret: raw.secretKeys.has("peers"), secretTexts: chosenSecrets },
                  builtImages: [proberImageSource, ...(cfg.webClient ? [webImageSource] : []), ...(cfg.services ? [servicesImageSource] : [])],
              })
            : new ExistingClusterPlatform("existing-platform", { config: cfg });
    const site = platform.site;

    // The per-pod config files and their secrets, which the article wrote by hand.
    const credentials = new Credentials("credentials", {
        linkSecret: cfg.linkSecret === undefined ? undefined : secretConfig("linkSecret"),
        provided: cfg.tlsMode === "provided" ? { certificatePem: cfg.tlsCertificate, keyPem: secretConfig("tlsKey") } : undefined,
        // Every name the network can grow to, so that scaling keeps the certificate
        // (with letsEncrypt, this pair only stands in until the issued one arrives).
        dnsNames: [
            ...(cfg.hostname ? [cfg.hostname] : []),
            ...(cfg.sharedHostname ? [cfg.sharedHostname] : []),
            ...(cfg.serverNames ?? Array.from({ length: maxReplicas }, (_, n) => serverName(cfg.serverNamePattern, n))),
        ],
    });

    // "Run the IRC network": Secret, StatefulSet, link and client Services.
    const network = new IrcNetwork("irc", {
        // With services, every daemon of this region lists them, so that they may link in to any.
        config: { ...cfg, peerRegions: site.peerRegions, servicesServer: cfg.services ? servicesServerName(cfg) : undefined },
        image: site.image,
        reloaderImage: site.reloaderImage,
        credentials,
        clientAddressName: site.clientAddressName,
        hubAddressNames: site.hubAddressNames,
        nodesTotal: site.nodesTotal,
        // The prober's IRC clients dial each daemon's own Service on the link port; services link there.
        linkPortAdmits: [proberSelector(cfg.networkName), ...(cfg.services ? [servicesSelector(cfg.networkName)] : [])],
        provider: site.provider,
    });

    // Seeing the network as its users do: a prober on every daemon, and its metrics.
    networkProber(cfg, site, network, credentials);
    // A web client for those without an IRC client, locked to this network.
    const web = webClient(cfg, site, network, credentials);
    // NickServ and ChanServ: IRC services, their data never lost.
    ircServices(cfg, site, network, credentials);

    return secretWhereShown(
        {
            platform: cfg.platform,
            namespace: network.namespace.metadata.name,
            serverNames: serverNames(cfg),
            // With letsEncrypt, the served certificate is cert-manager's (see the README).
            ...(cfg.tlsMode !== "letsEncrypt" && { tlsCertificate: credentials.certificatePem }),
            ...(web && { webService: web.service.metadata.name }),
            // What comes after the network where it runs (a certificate, access for previews), and its outputs.
            ...platform.attach(network),
        },
        chosenSecrets,
    );
};

/** The validated config, or one message (a RunError: no stack trace) before any resource exists. */
function validatedConfig(raw: RawConfig): CatboxConfig {
    try {
        return parseConfig(raw);
    } catch (e) {
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

/** The prober, where the platform has its image. */
function networkProber(cfg: CatboxConfig, site: NetworkSite, network: IrcNetwork, credentials: Credentials) {
    const image = site.images[proberImageSource.name];
    if (image === undefined) return;
    new NetworkProber("prober", {
        config: cfg,
        namespace: network.namespace.metadata.name,
        image,
        // A self-signed certificate is trusted as the stack's own; any other as clients trust it.
        ca: cfg.tlsMode === "selfSigned" ? credentials.certificatePem : undefined,
        podMonitoring: site.podMonitoring,
        peers: site.peerRegions,
        provider: site.provider,
    });
}

/** The web client, when the stack serves one. */
function webClient(cfg: CatboxConfig, site: NetworkSite, network: IrcNetwork, credentials: Credentials): WebClient | undefined {
    const image = site.images[webImageSource.name];
    if (!cfg.webClient || image === undefined) return undefined;
    return new WebClient("web", {
        lounge: loungeSpecOf(cfg),
        namespace: network.namespace.metadata.name,
        image,
        clientServiceIp: network.clientService.spec.clusterIP,
        // Like the prober, it trusts a self-signed certificate as the stack's own.
        ca: cfg.tlsMode === "selfSigned" ? credentials.certificatePem : undefined,
        serving: webServingOn(site, network, credentials),
        metricsImage: site.reloaderImage,
        podMonitoring: site.podMonitoring,
        provider: site.provider,
    });
}

/** IRC services, when the stack runs them. */
function ircServices(cfg: CatboxConfig, site: NetworkSite, network: IrcNetwork, credentials: Credentials) {
    const image = site.images[servicesImageSource.name];
    if (!cfg.services || image === undefined) return;
    new IrcServices("services", {
        networkName: cfg.networkName,
        namespace: network.namespace.metadata.name,
        image,
        atheme: athemeSpecOf(cfg),
        linkSecret: credentials.linkSecret,
        volume: { sizeGi: 1 },
        backup: site.servicesBackup,
        provider: site.provider,
    });
}
