// The Cloud DNS zone the stack writes records in: read before anything is
// created, so that a hostname the zone cannot hold is refused up front (Cloud
// DNS would refuse its record only after the cluster exists, and Let's Encrypt
// could never be answered for it).
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { project as configProject } from "../config/keys";
import { ConfigError } from "../config/parse";

/** Whether `name` is the zone's own DNS name or below it (`zoneDnsName` with or without its final dot). */
export function inZone(name: string, zoneDnsName: string): boolean {
    const zone = zoneDnsName.replace(/\.$/, "");
    return name === zone || name.endsWith(`.${zone}`);
}

/**
 * The DNS name of the zone `dnsZone` names, read once for the whole program; a
 * hostname outside it is refused, as a config error. `shown` gives a key's
 * value as an error may show it (a secret's never).
 */
export async function zoneDnsNameHolding(
    gcpProject: string,
    dnsZone: string,
    hostname: string,
    shown: (key: "hostname" | "dnsZone") => string,
): Promise<string> {
    const zone = await gcp.dns.getManagedZone({ name: dnsZone, project: gcpProject });
    if (!inZone(hostname, zone.dnsName)) {
        // The zone's name tells what a secret hostname or zone is: shown only when neither is secret.
        const plain = shown("hostname") === JSON.stringify(hostname) && shown("dnsZone") === JSON.stringify(dnsZone);
        const problem =
            `${configProject}:hostname = ${shown("hostname")}: is not inside the Cloud DNS zone ` +
            `${configProject}:dnsZone = ${shown("dnsZone")}${plain ? ` (${zone.dnsName})` : ""}, which cannot hold its record: ` +
            "give a hostname in that zone, or the zone that holds it";
        throw new pulumi.RunError(new ConfigError([problem]).message);
    }
    return zone.dnsName;
}

/** Another name the zone must hold (the network's shared name): refused, as a config error, when it cannot. */
export function requireInZone(key: string, name: string, zoneDnsName: string, shown: string): void {
    if (!inZone(name, zoneDnsName)) {
        throw new pulumi.RunError(
            new ConfigError([
                `${configProject}:${key} = ${shown}: is not inside the Cloud DNS zone ${configProject}:dnsZone, which must hold its record`,
            ]).message,
        );
    }
}
