// catbox-gke: the article "Running an IRC network in Kubernetes", as one stack.
// This file reads stack config and wires the components, in the article's order.
import * as pulumi from "@pulumi/pulumi";
import { ClientAddress, ClientName } from "./components/address";
import { serverNames } from "./components/catboxConfig";
import { ExistingCluster, GkeCluster } from "./components/cluster";
import { CatboxConfig, ConfigError, maxReplicas, parseConfig, project, RawConfig, secretConfigKeys } from "./components/config";
import { Credentials } from "./components/credentials";
import { CatboxImage } from "./components/image";
import { IrcNetwork } from "./components/ircNetwork";
import { LetsEncrypt } from "./components/letsEncrypt";
import { UptimeAlert } from "./components/monitoring";
import { serverName } from "./components/names";

/**
 * Stack config as the Pulumi runtime hands it over: raw strings. The keys that
 * must be secrets are secrets: Pulumi.yaml declares them so, and the CLI refuses
 * a plain value for them before the program runs.
 */
function readStackConfig(): RawConfig {
    const all = pulumi.runtime.allConfig();
    const values: Record<string, string> = {};
    for (const [fullKey, value] of Object.entries(all)) {
        if (fullKey.startsWith(`${project}:`)) values[fullKey.slice(project.length + 1)] = value;
    }
    return { values, secretKeys: secretConfigKeys, gcp: { project: all["gcp:project"], region: all["gcp:region"], zone: all["gcp:zone"] } };
}

/** The validated config, or one message (a RunError: no stack trace) before any resource exists. */
function validatedConfig(): CatboxConfig {
    try {
        return parseConfig(readStackConfig());
    } catch (e) {
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

export = async () => {
    const cfg = validatedConfig();
    const stackConfig = new pulumi.Config(project);
    /** A string from stack config, a Pulumi secret where the schema says it is one. */
    const configured = (key: "kubeconfig" | "tlsCertificate" | "tlsKey" | "linkSecret"): pulumi.Input<string> | undefined =>
        cfg[key] === undefined ? undefined : secretConfigKeys.has(key) ? stackConfig.requireSecret(key) : cfg[key];

    // "Create a cluster", "Create a container image" and the static IP: platform gke only.
    let gke: { cluster: GkeCluster; address: ClientAddress; image: CatboxImage } | undefined;
    if (cfg.platform === "gke") {
        const gcpProject = cfg.gcpProject!;
        const cluster = new GkeCluster("gke", {
            project: gcpProject,
            location: cfg.clusterLocation,
            networkName: cfg.networkName,
            machineType: cfg.machineType,
            nodeCount: cfg.nodeCount,
            spotNodes: cfg.spotNodes,
            deletionProtection: cfg.deletionProtection,
            ciServiceAccount: cfg.ciServiceAccount,
        });
        const address = new ClientAddress("client", {
            project: gcpProject,
            region: cfg.region,
            networkName: cfg.networkName,
            clientPort: cfg.clientPort,
            keep: cfg.keepAddress,
        });
        const image = new CatboxImage("catbox", {
            project: gcpProject,
            region: cfg.region,
            networkName: cfg.networkName,
            catboxVersion: cfg.image === undefined ? cfg.catboxVersion : undefined,
            reloaderBase: cfg.reloaderImage,
            readers: [cluster.nodeServiceAccount.member],
        });
        // "Is the network up?", which the article left to its users to find out.
        if (cfg.uptimeAlert) {
            new UptimeAlert("uptime", {
                project: gcpProject,
                networkName: cfg.networkName,
                ip: address.ip,
                clientPort: cfg.clientPort,
                email: cfg.alertEmail ?? cfg.adminEmail,
            });
        }
        gke = { cluster, address, image };
    }
    const provider = gke?.cluster.provider ?? new ExistingCluster("existing", {
        source: cfg.cluster,
        kubeconfig: cfg.cluster.kind === "contents" ? configured("kubeconfig") : undefined,
    }).provider;

    // The per-pod config files and their secrets, which the article wrote by hand.
    const credentials = new Credentials("credentials", {
        linkSecret: configured("linkSecret"),
        provided: cfg.tlsMode === "provided" ? { certificatePem: configured("tlsCertificate")!, keyPem: configured("tlsKey")! } : undefined,
        // Every name the network can grow to, so that scaling keeps the certificate
        // (with letsEncrypt, this pair only stands in until the issued one arrives).
        dnsNames: [...(cfg.hostname ? [cfg.hostname] : []),
            ...(cfg.serverNames ?? Array.from({ length: maxReplicas }, (_, n) => serverName(cfg.serverNamePattern, n)))],
    });

    // "Run the IRC network": Secret, StatefulSet, link and client Services.
    const network = new IrcNetwork("irc", {
        config: cfg,
        image: gke?.image.ref ?? cfg.image!,
        reloaderImage: gke?.image.reloaderRef ?? cfg.reloaderImage,
        credentials,
        loadBalancerIP: gke?.address.ip,
        nodeCount: gke?.cluster.nodesTotal,
        provider,
    });

    // The network's own name, and a certificate every client trusts on it.
    const clientName = gke && cfg.hostname !== undefined
        ? new ClientName("client-name", { project: cfg.gcpProject!, hostname: cfg.hostname, dnsZone: cfg.dnsZone, ip: gke.address.ip, clientPort: cfg.clientPort })
        : undefined;
    if (gke && cfg.tlsMode === "letsEncrypt") {
        new LetsEncrypt("letsencrypt", {
            project: cfg.gcpProject!,
            networkName: cfg.networkName,
            dnsZone: cfg.dnsZone!,
            hostname: cfg.hostname!,
            serverNames: serverNames(cfg),
            acmeServer: cfg.acmeServer,
            email: cfg.acmeEmail ?? cfg.adminEmail,
            namespace: network.namespace.metadata.name,
            secretName: network.tlsSecret!.metadata.name,
            provider,
        });
    }

    return {
        platform: cfg.platform,
        namespace: network.namespace.metadata.name,
        serverNames: serverNames(cfg),
        // With letsEncrypt, the served certificate is cert-manager's (see the README).
        ...(cfg.tlsMode !== "letsEncrypt" && { tlsCertificate: credentials.certificatePem }),
        ...(gke && {
            clusterName: gke.cluster.cluster.name,
            kubeconfig: gke.cluster.kubeconfig,
            clientIp: gke.address.ip,
            ircUrl: clientName?.url ?? gke.address.url,
            image: gke.image.ref ?? cfg.image,
        }),
        ...(clientName && !clientName.record && { dnsRecordToCreate: clientName.recordToCreate }),
    };
};
