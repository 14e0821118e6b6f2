// The Cloud DNS zone the stack writes records in: read before anything is
// created, so that a hostname the zone cannot hold is refused up front (Cloud
// DNS would refuse its record only after the cluster exists, and Let's Encrypt
// could never be answered for it).
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { project as configProject } from "../config/keys";

/** Whether `name` is the zone's own DNS name or below it (`zoneDnsName` with or without its final dot). */
export function inZone(name: string, zoneDnsName: string): boolean {
    const zone = zoneDnsName.replace(/\.$/, "");
    return name === zone || name.endsWith(`.${zone}`);
}

/** Refuse, as a config error, a hostname outside the zone `dnsZone` names. */
export async function checkHostnameInZone(gcpProject: string, dnsZone: string, hostname: string): Promise<void> {
    const zone = await gcp.dns.getManagedZone({ name: dnsZone, project: gcpProject });
    if (!inZone(hostname, zone.dnsName)) {
        throw new pulumi.RunError(
            `invalid stack config (1 problem):\n  ${configProject}:hostname = ${JSON.stringify(hostname)}: is not inside the Cloud DNS zone ` +
                `${configProject}:dnsZone = ${JSON.stringify(dnsZone)} (${zone.dnsName}), which cannot hold its record: ` +
                "give a hostname in that zone, or the zone that holds it",
        );
    }
}
