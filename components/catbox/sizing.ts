// How big a catbox pod must be for the clients it should hold, and for the
// clients of a pod that dies, from the failover benchmark (`npm run
// bench:failover`, the real catbox under its container's cgroup limits).
// Pure: no Pulumi import.
//
// What the benchmarks showed: catbox gives each connection a 32,768-slot write
// channel of irc.Message (56 bytes a slot), 1.75 MiB that Go's collector scans
// whole, so Go's live heap is about 1.8 MiB a client however quiet the client
// is. Whether the kernel keeps those pages resident varies (with a shared zero
// page, untouched slots cost nothing until a freed buffer is zeroed for reuse),
// so the pod is sized for the heap Go sees: a GOMEMLIMIT below it makes the
// collector run without pause and take half the CPU, and without a GOMEMLIMIT
// garbage grows to as much again before Go collects. Sized as measured, the
// kernel never killed a daemon that took over a dead pod's clients.

/** Go's live heap of a daemon with no clients, and per client (the write channel and its connection). */
const baseMiB = 32;
const perClientMiB = 1.8;
/** Garbage allowed above the live heap before Go collects: GOMEMLIMIT = live heap × 1.25. */
const garbageRoom = 0.25;
/** GOMEMLIMIT's share of the container's limit: the rest is what Go does not count (stacks, the binary) and a margin. */
const goMemLimitFraction = 0.9;
/**
 * CPU: the request covers a busy channel in normal operation; the limit, at
 * least a core, takes the reconnection of a dead pod's clients (TLS handshakes,
 * a JOIN to every member): at 300 clients moving onto one daemon, a 500m limit
 * throttled it 3.9 s and doubled the time to take them all (2.9 s), a 1000m
 * limit 0.2 s (1.5 s to take them; 1.1 s with no limit).
 */
const cpuBaseMilli = 30;
const cpuPerClientMilli = 0.3;
const cpuBurst = 3;
const cpuLimitFloorMilli = 1000;
/** The reloader's own share (busybox, a check every 15 s). */
export const reloaderSize = { memoryMiB: 32, cpuRequestMilli: 5, cpuLimitMilli: 50 };

export interface PodSize {
    /** The clients a pod must hold when one of the others is gone. */
    failoverClients: number;
    /** Request and limit: the memory a pod is guaranteed and may not exceed. */
    memoryMiB: number;
    /** catbox's GOMEMLIMIT. */
    goMemLimitMiB: number;
    cpuRequestMilli: number;
    /** Room for bursts; Go (1.25 and later) sets GOMAXPROCS from it. */
    cpuLimitMilli: number;
}

const roundUp = (x: number, step: number) => Math.ceil(x / step) * step;

/**
 * The clients a pod must hold when another dies: twice its own, what one pod of
 * two takes when the other's clients reconnect (with more pods a dead pod's
 * share is smaller). Not from replicas: scaling must not resize, and so
 * restart, the daemons already running.
 */
export function failoverClients(clientsPerPod: number): number {
    return 2 * clientsPerPod;
}

/** A pod's size for `clientsPerPod` clients in normal operation, with room for a dead pod's share. */
export function podSize(clientsPerPod: number): PodSize {
    const failover = failoverClients(clientsPerPod);
    const goMemLimitMiB = Math.ceil((baseMiB + failover * perClientMiB) * (1 + garbageRoom));
    const memoryMiB = roundUp(goMemLimitMiB / goMemLimitFraction, 32);
    const cpuRequestMilli = roundUp(cpuBaseMilli + clientsPerPod * cpuPerClientMilli, 10);
    return {
        failoverClients: failover,
        memoryMiB,
        goMemLimitMiB,
        cpuRequestMilli,
        cpuLimitMilli: Math.max(cpuLimitFloorMilli, roundUp(cpuBurst * (cpuBaseMilli + failover * cpuPerClientMilli), 10)),
    };
}

/**
 * What a node of these machine types leaves to this network's pods, estimated:
 * its allocatable share after GKE's reservation (25% of the first 4 GiB of
 * memory, 20% of the next 4, 8% of the next 8, plus 100 MiB for eviction;
 * 60 m of the first core, 10 m of the second, 5 m of each of the next two;
 * shared-core e2 machines get 940 m), less about 500 MiB and 400 m that GKE's
 * own pods request on a Dataplane V2 node.
 */
export const nodeRoom: Record<string, { memoryMiB: number; cpuMilli: number }> = {
    "e2-small": { memoryMiB: 900, cpuMilli: 540 },
    "e2-medium": { memoryMiB: 2450, cpuMilli: 540 },
    "e2-standard-2": { memoryMiB: 5700, cpuMilli: 1530 },
    "e2-standard-4": { memoryMiB: 13000, cpuMilli: 3500 },
};

/** Zones a regional cluster's pool spans by default. */
const zonesPerRegion = 3;

/** A location without a zone letter is a region: a regional cluster. */
function isRegional(location: string): boolean {
    return !/-[a-z]$/.test(location);
}

/** Nodes of a pool of `nodeCount` per zone at `location`. */
export function nodesTotal(nodeCount: number, location: string): number {
    return nodeCount * (isRegional(location) ? zonesPerRegion : 1);
}
