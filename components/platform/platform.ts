// Where the network runs: a cluster the stack makes on GKE, or one it is given.
// Each platform reads what it must before anything is created, offers the
// network what it needs (a provider, images, addresses), and attaches what
// comes after the network (a certificate, access for previews); its outputs
// join the stack's. index.ts picks one and never asks which it has.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { project, secretConfigKeys } from "../config/keys";
import type { IrcNetwork } from "../network/ircNetwork";
import type { RegionEndpoints } from "../regions/endpoints";
import type { ServicesBackupTarget } from "../services/ircServices";

/** What the network (and the prober beside it) needs from where it runs. */
export interface NetworkSite {
    provider: k8s.Provider;
    image: pulumi.Input<string>;
    reloaderImage: pulumi.Input<string>;
    /** The images of the workloads beside the network, by name (the prober's), where there are any. */
    images: Record<string, pulumi.Input<string>>;
    /** The static IP's name, for the client Service. */
    clientAddressName?: pulumi.Input<string>;
    /** With the web client on GKE: its own static address, by name (served over HTTPS there; elsewhere a ClusterIP Service). */
    webAddressName?: pulumi.Input<string>;
    /** With IRC services on GKE: where their database's copy goes. */
    servicesBackup?: ServicesBackupTarget;
    /** With peer regions: each hub's static address, by name. */
    hubAddressNames?: pulumi.Input<string>[];
    /** Nodes the pods spread over, where the platform knows them. */
    nodesTotal?: number;
    /** Whether Managed Service for Prometheus collects the prober's metrics (a PodMonitoring). */
    podMonitoring: boolean;
    /** The peer regions' endpoints, read from their stacks. */
    peerRegions: RegionEndpoints[];
}

export interface Platform {
    readonly site: NetworkSite;
    /** Creates what comes after the network there, and returns the platform's stack outputs. */
    attach(network: IrcNetwork): Record<string, unknown>;
}

/**
 * For a component made before the platforms were components, at the stack's
 * root: its old URN, so that an existing stack moves it under its platform and
 * replaces nothing (the engine carries the alias to every resource under it).
 */
export const movedIn = (parent: pulumi.Resource): pulumi.ComponentResourceOptions => ({
    parent,
    aliases: [{ parent: pulumi.rootStackResource }],
});

/** A key that must be a secret, read as one (the config check refused it in plain text). */
export function secretConfig(key: string): pulumi.Output<string> {
    if (!secretConfigKeys.has(key)) throw new Error(`${key} is not a secret key`);
    return new pulumi.Config(project).requireSecret(key);
}

/** What the config check rules out: reaching it is a bug here, not bad config. */
export function unreachable(what: string): never {
    throw new Error(what);
}
