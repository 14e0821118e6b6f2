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

/** The prober's pod (measured with 3 daemons: about 55 MiB resident, a few millicores). */
export const proberSize = { memoryMiB: 64, cpuRequestMilli: 10, memoryLimitMiB: 128, cpuLimitMilli: 100 };
/**
 * The web client (The Lounge): `npm run bench:web` measured 93 MiB resident idle
 * and 122 MiB with 50 users in one busy channel, about 20 millicores (see
 * docs/web.md); the limit leaves room for twice as many.
 */
export const webSize = { memoryMiB: 128, cpuRequestMilli: 20, memoryLimitMiB: 256, cpuLimitMilli: 500 };
/** Its metrics beside it: busybox httpd and a shell script a scrape. */
export const webMetricsSize = { memoryMiB: 8, cpuRequestMilli: 5, memoryLimitMiB: 32, cpuLimitMilli: 50 };
/**
 * IRC services (atheme): `npm run bench:services` measured 5 MiB resident idle and
 * 9 MiB after 500 registrations; registering or identifying costs about 30 ms of
 * CPU each (its password hashing), so the limit lets 15 a second through.
 */
export const servicesSize = { memoryMiB: 32, cpuRequestMilli: 10, memoryLimitMiB: 128, cpuLimitMilli: 500 };
/** Each of cert-manager's pods: small, but enough for one Certificate. */
export const certManagerPodSize = { memoryMiB: 48, cpuRequestMilli: 10, memoryLimitMiB: 128 };
/** cert-manager's pods: its controller, webhook and cainjector, and the Job that checks its API at install and upgrade. */
const certManagerPods = ["cert-manager", "cert-manager-webhook", "cert-manager-cainjector", "cert-manager-startupapicheck"];

/** The machine types the check knows: memory and vCPUs (shared-core e2 types bursting on two). */
const machines: Record<string, { memoryMiB: number; cpus: number; sharedCore?: true }> = {
    "e2-small": { memoryMiB: 2048, cpus: 2, sharedCore: true },
    "e2-medium": { memoryMiB: 4096, cpus: 2, sharedCore: true },
    "e2-standard-2": { memoryMiB: 8192, cpus: 2 },
    "e2-standard-4": { memoryMiB: 16384, cpus: 4 },
    "e2-standard-8": { memoryMiB: 32768, cpus: 8 },
};

/**
 * A node's allocatable share, as GKE documents it (plan-node-sizes, "Memory and
 * CPU reservations"): memory less 25% of the first 4 GiB, 20% of the next 4, 10%
 * of the next 8, 6% of the next 112 and 2% above, and 100 MiB for eviction; CPU
 * less 6% of the first core, 1% of the second, 0.5% of the next two and 0.25%
 * above; a shared-core E2 machine has 940m.
 */
function allocatable(machine: { memoryMiB: number; cpus: number; sharedCore?: true }): { memoryMiB: number; cpuMilli: number } {
    const tiers = (total: number, steps: [number, number][]) => {
        let left = total;
        let reserved = 0;
        for (const [size, share] of steps) {
            const part = Math.min(left, size);
            reserved += part * share;
            left -= part;
        }
        return reserved;
    };
    const gib = 1024;
    const memoryReserved = tiers(machine.memoryMiB, [
        [4 * gib, 0.25],
        [4 * gib, 0.2],
        [8 * gib, 0.1],
        [112 * gib, 0.06],
        [Infinity, 0.02],
    ]);
    const cpuReserved = tiers(machine.cpus * 1000, [
        [1000, 0.06],
        [1000, 0.01],
        [2000, 0.005],
        [Infinity, 0.0025],
    ]);
    return {
        memoryMiB: Math.floor(machine.memoryMiB - memoryReserved - 100),
        cpuMilli: machine.sharedCore ? 940 : Math.floor(machine.cpus * 1000 - cpuReserved),
    };
}

/**
 * What GKE's own pods request on each node of this stack's clusters (Dataplane
 * V2, Managed Service for Prometheus): its DaemonSets (anetd, fluentbit, the
 * metrics agent, the disk driver, the Prometheus collector) and a share of its
 * Deployments (kube-dns, konnectivity, metrics-server). An estimate, from
 * `kubectl describe node` on such nodes; `kubectl describe node` on yours
 * shows the real figure under "Allocated resources".
 */
const systemPodsPerNode = { memoryMiB: 500, cpuMilli: 400 };

/** What a node of this machine type leaves to the stack's pods, where the check knows the type. */
export function nodeRoom(machineType: string): { memoryMiB: number; cpuMilli: number } | undefined {
    const machine = Object.hasOwn(machines, machineType) ? machines[machineType] : undefined;
    if (!machine) return undefined;
    const node = allocatable(machine);
    return { memoryMiB: node.memoryMiB - systemPodsPerNode.memoryMiB, cpuMilli: node.cpuMilli - systemPodsPerNode.cpuMilli };
}

/** catbox's pods must be on different nodes (required anti-affinity) when there are nodes enough; else they only prefer to. */
export function catboxSpreadRequired(nodes: number | undefined, replicas: number): boolean {
    return nodes !== undefined && nodes >= replicas;
}

/** A pod as the scheduler counts it: its containers' requests. */
export interface ScheduledPod {
    name: string;
    memoryMiB: number;
    cpuMilli: number;
    /** Pods of one group must each be on a node of their own. */
    apart?: string;
}

/** Every pod a gke stack schedules on its nodes, at the requests it sets. */
export function stackPods(s: {
    replicas: number;
    clientsPerPod: number;
    nodes: number;
    letsEncrypt: boolean;
    webClient: boolean;
    services?: boolean;
}): ScheduledPod[] {
    const size = podSize(s.clientsPerPod);
    const apart = catboxSpreadRequired(s.nodes, s.replicas) ? "catbox" : undefined;
    return [
        ...Array.from({ length: s.replicas }, (_, n) => ({
            name: `catbox-${n}`,
            memoryMiB: size.memoryMiB + reloaderSize.memoryMiB,
            cpuMilli: size.cpuRequestMilli + reloaderSize.cpuRequestMilli,
            apart,
        })),
        ...(s.letsEncrypt
            ? certManagerPods.map((name) => ({ name, memoryMiB: certManagerPodSize.memoryMiB, cpuMilli: certManagerPodSize.cpuRequestMilli }))
            : []),
        { name: "catbox-prober", memoryMiB: proberSize.memoryMiB, cpuMilli: proberSize.cpuRequestMilli },
        ...(s.webClient
            ? [
                  {
                      name: "catbox-web",
                      memoryMiB: webSize.memoryMiB + webMetricsSize.memoryMiB,
                      cpuMilli: webSize.cpuRequestMilli + webMetricsSize.cpuRequestMilli,
                  },
              ]
            : []),
        // atheme, with its backup's 16 MiB and 5m.
        ...(s.services ? [{ name: "catbox-services", memoryMiB: servicesSize.memoryMiB + 16, cpuMilli: servicesSize.cpuRequestMilli + 5 }] : []),
    ];
}

/**
 * Places the pods on `nodes` nodes of `room` each as the scheduler would find
 * room: largest first, each on the node with the most memory left that fits it
 * and holds none of its group. Returns each node's pods, or the first pod that
 * found no node.
 */
export function pack(
    pods: ScheduledPod[],
    nodes: number,
    room: { memoryMiB: number; cpuMilli: number },
): { nodes: ScheduledPod[][] } | { unplaced: ScheduledPod } {
    const placed: ScheduledPod[][] = Array.from({ length: nodes }, () => []);
    const used = (node: ScheduledPod[], what: "memoryMiB" | "cpuMilli") => node.reduce((sum, p) => sum + p[what], 0);
    for (const pod of [...pods].sort((a, b) => b.memoryMiB - a.memoryMiB || b.cpuMilli - a.cpuMilli)) {
        const fits = placed.filter(
            (node) =>
                used(node, "memoryMiB") + pod.memoryMiB <= room.memoryMiB &&
                used(node, "cpuMilli") + pod.cpuMilli <= room.cpuMilli &&
                !(pod.apart && node.some((p) => p.apart === pod.apart)),
        );
        if (fits.length === 0) return { unplaced: pod };
        fits.sort((a, b) => used(a, "memoryMiB") - used(b, "memoryMiB"))[0].push(pod);
    }
    return { nodes: placed };
}

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
