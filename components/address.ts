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
}

export class ClientAddress extends pulumi.ComponentResource {
    readonly address: gcp.compute.Address;
    readonly ip: pulumi.Output<string>;
    /** What to paste into an IRC client. */
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: ClientAddressArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:ClientAddress", name, {}, opts);
        this.address = new gcp.compute.Address(`${name}-ip`, {
            project: args.project,
            region: args.region,
            addressType: "EXTERNAL",
            networkTier: "PREMIUM",
            description: `Clients of the ${args.networkName} IRC network`,
        }, {
            parent: this,
            // Losing the address breaks every client's DNS: unless told otherwise, a destroy (or a
            // replacement) leaves it in the project, for the next stack or `gcloud` to take up.
            retainOnDelete: args.keep,
        });
        this.ip = this.address.address;
        this.url = pulumi.interpolate`ircs://${this.ip}:${args.clientPort}`;
        this.registerOutputs({ ip: this.ip, url: this.url });
    }
}
