// The peer regions, read from their stacks (Pulumi's StackReference): each
// exports its link endpoints. A peer with none yet (its first `up` is still to
// come) is left out: this region links to it once both have run. A peer that
// would break the network (a region number, server name or SID twice) stops the
// program before anything is created.
import * as pulumi from "@pulumi/pulumi";
import { regionConflicts, type RegionEndpoints } from "./endpoints";
import { project } from "../config/keys";
import { ConfigError } from "../config/parse";
import { serverNameRe } from "../config/values";
import { textShows } from "../config/chosenSecrets";

/** The stack outputs every region exports for its peers: its link endpoints, and where its clients connect. */
export const linkEndpointsOutput = "linkEndpoints";
export const clientEndpointOutput = "clientEndpoint";

/** A peer's client address and region, once its stack has them (the shared name's record reads them). */
export interface PeerClient {
    region: string;
    ip: string;
}

/**
 * Whether another stack's output is a region's endpoints. Its names go into this
 * region's catbox files, so they must be server names as the config check takes
 * them (no ',', '=' or line break can reach a servers file).
 */
function isEndpoints(v: unknown): v is RegionEndpoints {
    const e = v as RegionEndpoints;
    const names = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === "string" && serverNameRe.test(s));
    const strings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === "string");
    return (
        typeof e === "object" &&
        e !== null &&
        Number.isInteger(e.regionNumber) &&
        names(e.serverNames) &&
        strings(e.sids) &&
        Array.isArray(e.hubs) &&
        e.hubs.every((h) => names([h?.server]) && Number.isInteger(h?.port) && h.port > 0 && h.port < 65536)
    );
}

/** What a secret `peers` (or another value set with --secret) may show of itself. */
export interface PeerSecrecy {
    /** `peers` was set with --secret: each peer is "peer n" in resource names, previews and messages. */
    peersSecret: boolean;
    /** The texts of every value set with --secret: a message that would show one says less. */
    secretTexts: readonly string[];
}

/** Each peer stack's endpoints, checked against this region's; a RunError (one line each) for a peer that cannot join. */
export async function peerRegions(
    stacks: string[],
    own: RegionEndpoints,
    secrecy: PeerSecrecy = { peersSecret: false, secretTexts: [] },
): Promise<{ stack: string; endpoints: RegionEndpoints; client?: PeerClient }[]> {
    const peers: { stack: string; endpoints: RegionEndpoints; client?: PeerClient }[] = [];
    const problems: string[] = [];
    const label = (i: number) => (secrecy.peersSecret ? `peer ${i + 1}` : stacks[i]);
    for (const [i, stack] of stacks.entries()) {
        // A secret peer's name stays out of the resource's name (its URN), and its input is a secret in previews.
        const ref = secrecy.peersSecret
            ? new pulumi.StackReference(`peer-${i}`, { name: pulumi.secret(stack) })
            : new pulumi.StackReference(`peer-${stack}`, { name: stack });
        const details = await ref.getOutputDetails(linkEndpointsOutput);
        const value = details.value ?? details.secretValue;
        if (value === undefined) continue;
        if (!isEndpoints(value)) {
            problems.push(`${label(i)}'s ${linkEndpointsOutput} output is not a region's link endpoints: is it a catbox-gke stack?`);
            continue;
        }
        const client = (await ref.getOutputDetails(clientEndpointOutput)).value as PeerClient | undefined;
        peers.push({ stack, endpoints: value, ...(client && typeof client.ip === "string" && typeof client.region === "string" ? { client } : {}) });
    }
    const labelled = peers.map((p) => ({ ...p, stack: label(stacks.indexOf(p.stack)) }));
    for (const { stack, problem } of regionConflicts(own, labelled)) {
        // A region number or server name set with --secret is told by what collides, not shown.
        problems.push(
            textShows(problem, secrecy.secretTexts)
                ? `${stack} collides with this region or an earlier peer: a regionNumber, a server name or a SID twice (not shown: a value set with --secret)`
                : problem,
        );
    }
    if (problems.length > 0) throw new pulumi.RunError(new ConfigError(problems.map((p) => `${project}:peers: ${p}`)).message);
    return peers;
}
