// How big a catbox pod must be for the clients it should hold, from the
// capacity benchmark (`npm run bench:capacity`, the real catbox on loopback).
// Pure: no Pulumi import.
//
// What the benchmark showed (two linked daemons, TLS clients in one channel,
// 20 of them talking): catbox gives each connection a 32,768-slot write
// channel, about 1.75 MiB of Go heap that is almost never written. Go counts it
// all, so GOMEMLIMIT is always below Go's own view of the heap and the
// collector works steadily (the runtime caps it at half the CPU); in return the
// memory that holds data stays near 0.1 MiB per client (26 MiB at 250 clients,
// 51 at 500, 75 at 750 per daemon with GOMEMLIMIT=180MiB), where without it
// garbage piles up to 0.3-0.4 MiB per client before Go collects. CPU with
// GOMEMLIMIT was about 0.13 cores at 250 clients and 0.3 at 500, with every
// client in one channel that 20 lines a second reach.

/** Memory of a daemon with no clients, and per client (2.5 times what was measured, for bursts and netsplit bursts). */
const baseMiB = 64;
const perClientMiB = 0.25;
/** GOMEMLIMIT: the collector starts working hard well before the kernel would kill the pod. */
const goMemLimitFraction = 0.75;
/**
 * CPU: the request covers about two thirds of the benchmark's busy channel
 * (0.13 cores at 250 clients, 0.3 at 500), the limit three times the request:
 * a small network is rarely that busy, and a burst may use the node's spare CPU.
 */
const cpuBaseMilli = 30;
const cpuPerClientMilli = 0.3;
const cpuBurst = 3;
/** The reloader's own share (busybox, a check every 15 s). */
export const reloaderSize = { memoryMiB: 32, cpuRequestMilli: 5, cpuLimitMilli: 50 };

export interface PodSize {
    /** Request and limit: the memory a pod is guaranteed and may not exceed. */
    memoryMiB: number;
    /** catbox's GOMEMLIMIT. */
    goMemLimitMiB: number;
    cpuRequestMilli: number;
    /** Room for bursts; Go (1.25 and later) sets GOMAXPROCS from it. */
    cpuLimitMilli: number;
}

const roundUp = (x: number, step: number) => Math.ceil(x / step) * step;

export function podSize(clientsPerPod: number): PodSize {
    const memoryMiB = roundUp(baseMiB + clientsPerPod * perClientMiB, 32);
    const cpuRequestMilli = roundUp(cpuBaseMilli + clientsPerPod * cpuPerClientMilli, 10);
    return {
        memoryMiB,
        goMemLimitMiB: Math.floor(memoryMiB * goMemLimitFraction),
        cpuRequestMilli,
        cpuLimitMilli: Math.max(500, cpuBurst * cpuRequestMilli),
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
