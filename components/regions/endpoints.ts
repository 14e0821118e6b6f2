// One network across regions, the daemons' side: what a region tells its peers
// (its link endpoints, a stack output), and what makes two regions unable to
// share a network (a region number, a server name or a SID twice). Pure: no
// Pulumi import. Hubs (the first `hubs` daemons) link to the peer regions' hubs
// over TLS, by their public names, which catbox verifies against the system's
// roots; the network stays a tree, because catbox never dials a server it
// already knows.
import { serverNames } from "../catbox/files";
import { containerTlsPort, sid } from "../catbox/names";
import type { NetworkSpec } from "../catbox/spec";

/** What a region exports for its peers. */
export interface RegionEndpoints {
    regionNumber: number;
    serverNames: string[];
    sids: string[];
    /** The daemons that link across regions: dialled by their server name (a public A record) on `port`, with TLS. */
    hubs: { server: string; port: number }[];
}

type RegionConfig = Pick<NetworkSpec, "replicas" | "serverNamePattern" | "serverNames" | "regionNumber" | "hubs">;

/** The hub port every region publishes: the daemons' own TLS port, where catbox takes servers as well as clients. */
export const hubPort = containerTlsPort;

export function regionEndpoints(cfg: RegionConfig): RegionEndpoints {
    const names = serverNames(cfg);
    return {
        regionNumber: cfg.regionNumber,
        serverNames: names,
        sids: names.map((_, n) => sid(n, cfg.regionNumber)),
        hubs: names.slice(0, Math.min(cfg.hubs, cfg.replicas)).map((server) => ({ server, port: hubPort })),
    };
}

/**
 * Why these regions cannot be one network, one line each, with the peer it is
 * about (a peer may be named where the values that collide may not be shown);
 * none when they can.
 */
export function regionConflicts(own: RegionEndpoints, peers: { stack: string; endpoints: RegionEndpoints }[]): { stack: string; problem: string }[] {
    const problems: { stack: string; problem: string }[] = [];
    const seen = [{ stack: "this stack", endpoints: own }];
    for (const peer of peers) {
        for (const other of seen) {
            if (peer.endpoints.regionNumber === other.endpoints.regionNumber) {
                problems.push({
                    stack: peer.stack,
                    problem: `${peer.stack} has regionNumber ${peer.endpoints.regionNumber}, as ${other.stack} has: every region needs its own`,
                });
            }
            const names = peer.endpoints.serverNames.filter((n) => other.endpoints.serverNames.includes(n));
            if (names.length > 0) {
                problems.push({
                    stack: peer.stack,
                    problem: `${peer.stack} has the server name(s) ${names.join(", ")}, as ${other.stack} has: every daemon needs its own`,
                });
            }
            const sids = peer.endpoints.sids.filter((x) => other.endpoints.sids.includes(x));
            if (sids.length > 0 && peer.endpoints.regionNumber !== other.endpoints.regionNumber) {
                problems.push({ stack: peer.stack, problem: `${peer.stack} has the SID(s) ${sids.join(", ")}, as ${other.stack} has` });
            }
        }
        seen.push(peer);
    }
    return problems;
}
