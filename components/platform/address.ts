// The article's `gcloud compute addresses create irc-ip`: the one address every
// client's DNS points at.
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export interface ClientAddressArgs {
    project: string;
    region: string;
    networkName: string;
    clientPort: number;
    /** `pulumi destroy` leaves the address in the project (clients' DNS points at it). */
    keep: boolean;
    /**
     * An address already in the project, by name (one an earlier stack left behind):
     * the stack takes it up, and never changes or releases it.
     */
    existing?: string;
}

export class ClientAddress extends pulumi.ComponentResource {
    /** The address the stack made; none when it took up an existing one. */
    readonly address?: gcp.compute.Address;
    readonly ip: pulumi.Output<string>;
    /** Its name: GKE's load balancer takes the address by name. */
    readonly name: pulumi.Output<string>;
    /** What to paste into an IRC client. */
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: ClientAddressArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:ClientAddress", name, {}, opts);
        if (args.existing !== undefined) {
            const existing = gcp.compute.getAddressOutput({ project: args.project, region: args.region, name: args.existing }, { parent: this });
            this.ip = existing.address;
            this.name = existing.name;
        } else {
            this.address = this.newAddress(name, args);
            this.ip = this.address.address;
            this.name = this.address.name;
        }
        this.url = pulumi.interpolate`ircs://${this.ip}:${args.clientPort}`;
        this.registerOutputs({ ip: this.ip, url: this.url });
    }

    private newAddress(name: string, args: ClientAddressArgs): gcp.compute.Address {
        return new gcp.compute.Address(
            `${name}-ip`,
            {
                project: args.project,
                region: args.region,
                addressType: "EXTERNAL",
                networkTier: "PREMIUM",
                description: `Clients of the ${args.networkName} IRC network`,
            },
            {
                parent: this,
                // Losing the address breaks every client's DNS: unless told otherwise, a destroy (or a
                // replacement) leaves it in the project, for the next stack to take up (existingAddress).
                retainOnDelete: args.keep,
            },
        );
    }
}

export interface ClientNameArgs {
    project: string;
    /** The name clients use. */
    hostname: string;
    /** The Cloud DNS managed zone that holds it, if the stack is to write its record. */
    dnsZone?: string;
    ip: pulumi.Input<string>;
    clientPort: number;
}

/** The network's own name: its A record in Cloud DNS, or the record the operator must create. */
export class ClientName extends pulumi.ComponentResource {
    readonly record?: gcp.dns.RecordSet;
    /** The record as a zone file line, for the operator to create where the stack does not. */
    readonly recordToCreate: pulumi.Output<string>;
    readonly url: string;

    constructor(name: string, args: ClientNameArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:ClientName", name, {}, opts);
        const ttl = 300;
        if (args.dnsZone) {
            this.record = new gcp.dns.RecordSet(
                `${name}-a`,
                {
                    project: args.project,
                    managedZone: args.dnsZone,
                    name: `${args.hostname}.`,
                    type: "A",
                    ttl,
                    rrdatas: [args.ip],
                },
                { parent: this },
            );
        }
        this.recordToCreate = pulumi.interpolate`${args.hostname}. ${ttl} IN A ${args.ip}`;
        this.url = `ircs://${args.hostname}:${args.clientPort}`;
        this.registerOutputs({ url: this.url, recordToCreate: this.recordToCreate });
    }
}
