// Names of GCP resources that more than one component makes. Pure: no Pulumi import.

/** The Artifact Registry host of a region, which Docker pushes to. */
export function registryHost(region: string): string {
    return `${region}-docker.pkg.dev`;
}

/** GCP's limit on a service account's id (the part before the @). */
const accountIdMax = 30;

/**
 * A service account id for this network's `purpose` ("nodes", "dns01"): the
 * network's name cut so that the whole id fits GCP's 30 characters, and never
 * ends the cut part with a '-'.
 */
export function serviceAccountId(networkName: string, purpose: string): string {
    const room = accountIdMax - purpose.length - 1;
    return `${networkName.slice(0, room).replace(/-+$/, "")}-${purpose}`;
}
