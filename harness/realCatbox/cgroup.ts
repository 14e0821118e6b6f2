// A container's limits on this machine: a memory and CPU cgroup of catbox's
// own, as kubelet gives the catbox container (a memory limit the kernel
// enforces by killing the process, a CPU quota per 100 ms period), so that what
// a pod would do at its size is measured, not guessed. cgroup v1 (memory and
// cpu hierarchies) or v2 (one unified tree with both controllers); root only.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";

export interface Limits {
    /** The memory limit, as the container's resources.limits.memory. */
    memoryMiB?: number;
    /** The CPU limit in millicores, as the container's resources.limits.cpu (quota per 100 ms). */
    cpuMilli?: number;
}

const period = 100_000;
const v1 = { memory: "/sys/fs/cgroup/memory", cpu: "/sys/fs/cgroup/cpu" };
const v2 = "/sys/fs/cgroup";

function writable(dir: string): boolean {
    try {
        const probe = path.join(dir, `catbox-gke-probe-${process.pid}`);
        mkdirSync(probe);
        rmdirSync(probe);
        return true;
    } catch {
        return false;
    }
}

function kind(): "v1" | "v2" | null {
    if (existsSync(path.join(v1.memory, "memory.limit_in_bytes")) && existsSync(path.join(v1.cpu, "cpu.cfs_quota_us"))) {
        return writable(v1.memory) && writable(v1.cpu) ? "v1" : null;
    }
    const controllers = existsSync(path.join(v2, "cgroup.subtree_control")) ? readFileSync(path.join(v2, "cgroup.subtree_control"), "utf8") : "";
    return /\bmemory\b/.test(controllers) && /\bcpu\b/.test(controllers) && writable(v2) ? "v2" : null;
}

let found: ReturnType<typeof kind> | undefined;
/** Why containers' limits cannot be set here, or null when they can. */
export function cgroupsUnavailable(): string | null {
    if (found === undefined) found = kind();
    return found ? null : "no writable cgroup with the memory and cpu controllers (cgroup v1 or v2, as root)";
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");
const field = (text: string, name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? 0);

/** One container's cgroup(s): created with its limits, removed by `remove` once its processes are gone. */
export class ContainerCgroup {
    private readonly dirs: { memory: string; cpu: string };

    constructor(name: string, limits: Limits) {
        const why = cgroupsUnavailable();
        if (why) throw new Error(why);
        const leaf = `catbox-gke-${process.pid}-${name}`;
        this.dirs =
            found === "v1"
                ? { memory: path.join(v1.memory, leaf), cpu: path.join(v1.cpu, leaf) }
                : { memory: path.join(v2, leaf), cpu: path.join(v2, leaf) };
        for (const d of new Set(Object.values(this.dirs))) mkdirSync(d, { recursive: true });
        if (found === "v1") {
            if (limits.memoryMiB) {
                writeFileSync(path.join(this.dirs.memory, "memory.limit_in_bytes"), String(limits.memoryMiB * 2 ** 20));
                // No swap, as on a GKE node.
                try {
                    writeFileSync(path.join(this.dirs.memory, "memory.swappiness"), "0");
                } catch {
                    // not every kernel lets a child set it
                }
            }
            if (limits.cpuMilli) {
                writeFileSync(path.join(this.dirs.cpu, "cpu.cfs_period_us"), String(period));
                writeFileSync(path.join(this.dirs.cpu, "cpu.cfs_quota_us"), String((limits.cpuMilli * period) / 1000));
            }
        } else {
            if (limits.memoryMiB) {
                writeFileSync(path.join(this.dirs.memory, "memory.max"), String(limits.memoryMiB * 2 ** 20));
                writeFileSync(path.join(this.dirs.memory, "memory.swap.max"), "0");
            }
            if (limits.cpuMilli) writeFileSync(path.join(this.dirs.cpu, "cpu.max"), `${(limits.cpuMilli * period) / 1000} ${period}`);
        }
    }

    /** The files a process writes its PID into to join this container (as seen from its own PID namespace). */
    get procsFiles(): string[] {
        return [...new Set(Object.values(this.dirs))].map((d) => path.join(d, "cgroup.procs"));
    }

    /** Processes the kernel killed for going over the memory limit. */
    oomKills(): number {
        return found === "v1"
            ? field(read(path.join(this.dirs.memory, "memory.oom_control")), "oom_kill")
            : field(read(path.join(this.dirs.memory, "memory.events")), "oom_kill");
    }

    /** Anonymous memory now (what a Go heap is, and what the limit kills for), in bytes. */
    anonBytes(): number {
        const stat = read(path.join(this.dirs.memory, "memory.stat"));
        return found === "v1" ? field(stat, "total_rss") || field(stat, "rss") : field(stat, "anon");
    }

    /** The highest memory use the kernel has seen, page cache included, in bytes. */
    peakBytes(): number {
        return Number(read(path.join(this.dirs.memory, found === "v1" ? "memory.max_usage_in_bytes" : "memory.peak")) || 0);
    }

    /** Periods in which the quota ran out, and the time spent waiting for the next, in seconds. */
    throttling(): { periods: number; throttled: number; seconds: number } {
        const stat = read(path.join(this.dirs.cpu, "cpu.stat"));
        return found === "v1"
            ? { periods: field(stat, "nr_periods"), throttled: field(stat, "nr_throttled"), seconds: field(stat, "throttled_time") / 1e9 }
            : { periods: field(stat, "nr_periods"), throttled: field(stat, "nr_throttled"), seconds: field(stat, "throttled_usec") / 1e6 };
    }

    /** Remove the cgroup(s); whether they are gone (the kernel refuses while a process is still inside). */
    remove(): boolean {
        for (const d of new Set(Object.values(this.dirs))) {
            try {
                if (existsSync(d)) rmdirSync(d);
            } catch {
                // a process still inside: the caller tries again
            }
        }
        return Object.values(this.dirs).every((d) => !existsSync(d));
    }
}
