// What catbox's files and the pods are made from: the network as catbox sees
// it, in catbox's terms. The validated stack config is one (config/types.ts
// holds that it fits); catbox/ itself knows nothing of stack config. Pure.
import type { Ban } from "../bans/banList";

/** An entry of catbox's users.conf. */
export interface CatboxUser {
    id: string;
    usermask: string;
    hostmask: string;
    floodExempt: boolean;
    spoof: string;
}

/** A peer region's link endpoints (see regions.ts). */
export interface PeerEndpoints {
    serverNames: string[];
    hubs: { server: string; port: number }[];
}

/** The network: its daemons, their names and limits, who may oper and connect, and its peer regions. */
export interface NetworkSpec {
    replicas: number;
    networkName: string;
    namespace: string;
    clusterDomain: string;
    serverNamePattern: string;
    serverNames?: string[];
    serverInfo: string;
    motd: string;
    adminEmail?: string;
    maxNickLength: number;
    /** Go durations. */
    pingTime: string;
    deadTime: string;
    connectAttemptTime: string;
    linkPort: number;
    opers?: Record<string, string>;
    users: CatboxUser[];
    /** K-lines every daemon holds (its reloader applies them). */
    bans?: Ban[];
    /** Where the served pair comes from: letsEncrypt's is issued into a Secret of its own. */
    tlsMode: "selfSigned" | "provided" | "letsEncrypt";
    /** This region's digit, the first of every SID. */
    regionNumber: number;
    /** How many daemons (the first) link to the peer regions' hubs. */
    hubs: number;
    /** The peer regions' endpoints, read from their stacks: hubs list the peers' hubs. */
    peerRegions?: PeerEndpoints[];
    /** Where this region runs IRC services: their server name, which links in to any daemon of the region. */
    servicesServer?: string;
}
