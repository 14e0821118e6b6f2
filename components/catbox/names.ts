// Names that several components must agree on. Pure: no Pulumi import.

/**
 * The name of catbox's process, which the reloader finds and signals: the
 * image's binary (configs/Dockerfile installs it as /usr/local/bin/catbox).
 */
export const catboxProcessName = "catbox";

/** The reloader's script (configs/reloader.sh, in a ConfigMap) and where its container mounts it. */
export const reloaderScriptFile = "reloader.sh";
/** Its part that makes the bans hold (configs/bans.sh), which it sources from beside itself. */
export const bansScriptFile = "bans.sh";
export const reloaderDir = "/reloader";

/** Where the Secret is mounted in every container. */
export const configDir = "/etc/catbox";

/**
 * With tlsMode letsEncrypt: where the certificate's Secret (kubernetes.io/tls,
 * kept by cert-manager) is mounted, beside the config, and its two files.
 */
export const issuedTlsDir = "/etc/catbox-tls";
export const issuedTlsFiles = { certificate: "tls.crt", key: "tls.key" } as const;
export const issuedTlsSecretName = (networkName: string) => `${networkName}-tls`;

/**
 * Ports catbox listens on inside the pod. They are fixed so that changing the
 * public ports in stack config only touches Services (listen ports need a
 * restart, Service ports do not), and both are above 1024 so a non-root
 * process can bind them without NET_BIND_SERVICE.
 */
export const containerLinkPort = 6667;
export const containerTlsPort = 6697;

/** Pod (and per-pod link Service) name of replica n: the StatefulSet's naming. */
export function podName(networkName: string, n: number): string {
    return `${networkName}-${n}`;
}

/** catbox's server-name for replica n. */
export function serverName(pattern: string, n: number, explicit?: readonly string[]): string {
    return explicit?.[n] ?? pattern.split("{n}").join(String(n));
}

/**
 * TS6 SID of replica n in region `region` (0-9): the region's digit, then n in
 * base 36, two digits. A pure function of both, so scaling never re-identifies a
 * live server, and two regions never share one; valid for n < 1296.
 */
export function sid(n: number, region = 0): string {
    if (!Number.isInteger(n) || n < 0 || n >= 36 * 36) {
        throw new RangeError(`no TS6 SID for replica ${n}`);
    }
    if (!Number.isInteger(region) || region < 0 || region > 9) throw new RangeError(`no TS6 SID for region ${region}`);
    return String(region) + n.toString(36).toUpperCase().padStart(2, "0");
}

/** In-cluster DNS name of replica n's link Service. */
export function linkHost(networkName: string, namespace: string, clusterDomain: string, n: number): string {
    return `${podName(networkName, n)}.${namespace}.svc.${clusterDomain}`;
}

/** In-cluster DNS name of replica n's pod itself, through the headless Service (every port of the pod). */
export function podHost(networkName: string, namespace: string, clusterDomain: string, n: number): string {
    return `${podName(networkName, n)}.${networkName}-headless.${namespace}.svc.${clusterDomain}`;
}

/** File names in the Secret, as the StatefulSet's command refers to them. */
export const files = {
    catboxConf: (networkName: string, n: number) => `${podName(networkName, n)}.conf`,
    serversConf: (n: number) => `servers-${n}.conf`,
    /** What hub n's reloader needs to keep one link between two regions (configs/reloader.sh). */
    relinkConf: (n: number) => `relink-${n}.conf`,
    opersConf: "opers.conf",
    usersConf: "users.conf",
    certificate: "certificate.pem",
    key: "key.pem",
} as const;

/** The services' server name: servicesName, else services.<the server names' domain>. */
export function servicesServerName(c: { servicesName?: string; serverNamePattern: string; serverNames?: string[] }): string {
    if (c.servicesName !== undefined) return c.servicesName;
    const first = serverName(c.serverNamePattern, 0, c.serverNames);
    return `services.${first.slice(first.indexOf(".") + 1)}`;
}

/** The services' TS6 SID: the region's digit, then ZZ, which no daemon takes (they count up from 00, at most 20 of them). */
export const servicesSid = (regionNumber: number) => `${regionNumber}ZZ`;
