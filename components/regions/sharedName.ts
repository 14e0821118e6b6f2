// The network's shared name (irc.example.org), answered by region: a Cloud DNS
// record with a geolocation routing policy over every region's client address,
// each health-checked (a TCP check on the client port from three Google
// regions), so that a region that stops answering is left out and its clients
// are sent to the next nearest. One stack writes it, reading its peers'
// addresses from their stacks.
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export interface RegionAddress {
    /** The Google Cloud region whose nearby resolvers get this address. */
    region: pulumi.Input<string>;
    ip: pulumi.Input<string>;
}

export interface SharedNameArgs {
    project: string;
    networkName: string;
    hostname: string;
    dnsZone: string;
    clientPort: number;
    /** This region's client address first, then the peers'. */
    regions: RegionAddress[];
    /** Where the health check probes from: three Google regions (Cloud DNS's rule for external endpoints). */
    checkFrom: string[];
}

export class SharedName extends pulumi.ComponentResource {
    readonly healthCheck: gcp.compute.HealthCheck;
    readonly record: gcp.dns.RecordSet;

    constructor(name: string, args: SharedNameArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:SharedName", name, {}, opts);
        const parent = { parent: this };
        this.healthCheck = new gcp.compute.HealthCheck(
            `${name}-check`,
            {
                project: args.project,
                description: `Whether a region of the ${args.networkName} IRC network answers on its client port`,
                checkIntervalSec: 30,
                timeoutSec: 10,
                tcpHealthCheck: { port: args.clientPort },
                sourceRegions: args.checkFrom,
            },
            parent,
        );
        this.record = new gcp.dns.RecordSet(
            `${name}-a`,
            {
                project: args.project,
                managedZone: args.dnsZone,
                name: `${args.hostname}.`,
                type: "A",
                ttl: 60,
                routingPolicy: {
                    healthCheck: this.healthCheck.id,
                    geos: args.regions.map((r) => ({ location: r.region, healthCheckedTargets: { externalEndpoints: [r.ip] } })),
                },
            },
            parent,
        );
        this.registerOutputs({ record: this.record.name });
    }
}

/** Three regions to check from: the network's own, then Google's in other continents, as many as it takes. */
export function checkRegions(regions: string[]): string[] {
    const fallback = ["us-central1", "europe-west1", "asia-east1", "us-east1"];
    return [...new Set([...regions, ...fallback])].slice(0, 3);
}
