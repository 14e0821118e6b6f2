// One network across two regions on loopback, as close to two GKE clusters as
// one machine gets: each region's daemons rendered from its own stack (prod, as
// two regions of one network) with the other's link endpoints, their public
// names resolved through an /etc/hosts of the pods' own (a mount namespace
// each), and a test CA that catbox trusts through SSL_CERT_FILE, as it would
// trust Let's Encrypt. Used by the tests and `npm run bench:regions`.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { serverName } from "../../components/catbox/names";
import { readStackFile, renderStack } from "../offline/stack";
import { LocalNetwork, shapeOf } from "./localNetwork";
import { caSignedPair, type TlsPair } from "./tlsPair";

export const regionNames = ["us", "eu"] as const;
export type Region = (typeof regionNames)[number];

const shared = { linkSecret: "the-network-shared-link-secret-0123" };
const regionValues: Record<Region, Record<string, string>> = {
    us: { ...shared, regionNumber: "1", serverNamePattern: "irc{n}.us.example.org", hostname: "us.irc.example.org" },
    eu: { ...shared, regionNumber: "2", serverNamePattern: "irc{n}.eu.example.org", hostname: "eu.irc.example.org" },
};

export interface TwoRegionsOptions {
    /** Daemons per region, and hubs among them. */
    replicas: number;
    hubs: number;
    /** Loopback blocks `block` (us) and `block + 1` (eu). */
    block: number;
    ca: TlsPair;
    certificates: Record<Region, TlsPair>;
    /** Another link secret for a region (a misconfigured one). */
    linkSecrets?: Partial<Record<Region, string>>;
    binary: string;
    /** Run each pod's reloader (under busybox, as in the pod) with this environment: the hubs keep one link between regions. */
    reloaderEnv?: Record<string, string>;
}

export const regionServerNames = (r: Region, replicas: number) =>
    Array.from({ length: replicas }, (_, n) => serverName(regionValues[r].serverNamePattern, n));

/** Each region's certificate, from `ca`, for its client name and every server name, as Let's Encrypt issues it. */
export const regionCertificates = (ca: TlsPair, replicas: number): Record<Region, TlsPair> => ({
    us: caSignedPair(ca, [regionValues.us.hostname, ...regionServerNames("us", replicas)]),
    eu: caSignedPair(ca, [regionValues.eu.hostname, ...regionServerNames("eu", replicas)]),
});

export const regionHostname = (r: Region) => regionValues[r].hostname;

/** Each region's server names, for topologyProblems. */
export const regionServers = (replicas: number): Record<Region, string[]> => ({
    us: regionServerNames("us", replicas),
    eu: regionServerNames("eu", replicas),
});

export interface TwoRegions {
    nets: Record<Region, LocalNetwork>;
    /** The pods' /etc/hosts (every public name) and the test CA's certificate, for other processes of the network. */
    hostsFile: string;
    caFile: string;
    /** Start every daemon of a region (all at once). */
    startRegion(r: Region): Promise<void>;
    stop(): Promise<void>;
}

/** Both regions, rendered and ready; `startRegion` starts each. */
export async function twoRegions(o: TwoRegionsOptions): Promise<TwoRegions> {
    const cfg = readStackFile("prod").config;
    const secretKeys = ["linkSecret"];
    const values = (r: Region) => ({
        ...regionValues[r],
        replicas: String(o.replicas),
        hubs: String(o.hubs),
        ...(o.linkSecrets?.[r] ? { linkSecret: o.linkSecrets[r]! } : {}),
    });
    const peer = { us: "eu", eu: "us" } as const;
    // Each region before its peer's first up: the peer named, its endpoints not there yet.
    const before = (r: Region) => renderStack("prod", { ...values(r), peers: JSON.stringify([`prod-${peer[r]}`]) }, secretKeys);
    const alone = { us: await before("us"), eu: await before("eu") };
    const work = mkdtempSync(path.join(tmpdir(), "regions-"));
    const hostsFile = path.join(work, "hosts");
    const caFile = path.join(work, "ca.crt");
    writeFileSync(caFile, o.ca.certificatePem);
    const nets = {} as Record<Region, LocalNetwork>;
    for (const [i, r] of regionNames.entries()) {
        const stack = `prod-${peer[r]}`;
        const { files } = await renderStack("prod", { ...values(r), peers: JSON.stringify([stack]) }, secretKeys, {
            [stack]: { linkEndpoints: alone[peer[r]].outputs.linkEndpoints },
        });
        nets[r] = new LocalNetwork({
            binary: o.binary,
            shape: shapeOf(cfg),
            files,
            block: o.block + i,
            issuedTls: o.certificates[r],
            hostsFile,
            catboxEnv: { SSL_CERT_FILE: caFile },
            ...(o.reloaderEnv && { reloaderShell: ["busybox", "sh"], reloaderEnv: o.reloaderEnv }),
        });
    }
    // The public names: every daemon's server name, at its pod's own address.
    const hosts = regionNames.flatMap((r) => regionServerNames(r, o.replicas).map((name, n) => `${nets[r].address(n)} ${name}`));
    writeFileSync(hostsFile, ["127.0.0.1 localhost", ...hosts].join("\n") + "\n");
    return {
        nets,
        hostsFile,
        caFile,
        startRegion: async (r) => {
            await Promise.all(regionServerNames(r, o.replicas).map((_, n) => nets[r].start(n)));
        },
        stop: async () => {
            for (const r of regionNames) await nets[r].stop();
            rmSync(work, { recursive: true, force: true });
        },
    };
}
