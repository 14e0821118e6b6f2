// Platform kubeconfig: a cluster the stack does not own (kind, another cloud's),
// reached through a kubeconfig, with the images given. It reads nothing first
// and attaches nothing after the network.
import * as pulumi from "@pulumi/pulumi";
import type { ExistingClusterConfig } from "../config/types";
import { proberImageSource } from "../observability/prober";
import { webImageSource } from "../web/lounge";
import { servicesImageSource } from "../services/ircServices";
import { ExistingCluster } from "./existingCluster";
import { movedIn, type NetworkSite, type Platform, secretConfig } from "./platform";

export class ExistingClusterPlatform extends pulumi.ComponentResource implements Platform {
    readonly site: NetworkSite;

    constructor(name: string, args: { config: ExistingClusterConfig }, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:ExistingClusterPlatform", name, {}, opts);
        const cfg = args.config;
        const existing = new ExistingCluster(
            "existing",
            { source: cfg.cluster, kubeconfig: cfg.cluster.kind === "contents" ? secretConfig("kubeconfig") : undefined },
            movedIn(this),
        );
        this.site = {
            provider: existing.provider,
            image: cfg.image,
            reloaderImage: cfg.reloaderImage,
            // Prebuilt, as the config names them.
            images: {
                ...(cfg.proberImage !== undefined && { [proberImageSource.name]: cfg.proberImage }),
                ...(cfg.webImage !== undefined && { [webImageSource.name]: cfg.webImage }),
                ...(cfg.servicesImage !== undefined && { [servicesImageSource.name]: cfg.servicesImage }),
            },
            podMonitoring: false,
            peerRegions: [],
        };
        this.registerOutputs({});
    }

    attach(): Record<string, unknown> {
        return {};
    }
}
