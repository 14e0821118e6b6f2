// `npm run bench:failover [-- --stack prod --clients 150 --variants sized,no-gomemlimit,no-cpu-limit,unlimited --cpu-limit 1000]`:
// the day a pod dies, on the real catbox under its container's limits (see
// harness/realCatbox/failover.ts; root and a writable cgroup tree needed). The
// stack's daemons each hold `clients` TLS clients (its clientsPerPod unless
// given) in one channel, 20 of them talking a line a second; the last pod is
// killed and all its clients reconnect at once to the others. Printed per variant:
//   limits      memory limit / GOMEMLIMIT / CPU limit of each catbox container
//   steady      before the kill: anon MiB of each daemon, delivery, p99 ms
//   rejoin_s    from the kill until every moved client is registered and in the channel
//   peak        highest anonymous memory of a survivor (sampled every 100 ms) / the cgroup's own peak
//   oom         processes the kernel killed for memory, over all survivors
//   wdog f/k    the survivors' watchdogs: failed health checks / kills
//   lost        survivors' clients dropped + moved clients that never got back in
//   cpu_s/thr   CPU seconds the survivors spent from the kill to the end / seconds throttled
//   after       delivery and p99 ms once the moved clients are in
// Variants: sized = the pod's limits as the stack sets them; no-gomemlimit,
// no-cpu-limit = the same without one of them; unlimited = no limit at all (what
// the daemon would take). --cpu-limit replaces the sized CPU limit (millicores).
// A measurement, not a test: it prints and exits 0.
import { podSize, type PodSize } from "../components/catbox/sizing";
import { cgroupsUnavailable } from "../harness/realCatbox/cgroup";
import { failover } from "../harness/realCatbox/failover";
import { readStackFile } from "../harness/offline/stack";
import { arg } from "./args";

const stack = arg("stack", "prod");
const variants = arg("variants", "sized,no-gomemlimit,no-cpu-limit,unlimited").split(",");
const talkers = Number(arg("talkers", "20"));
const seconds = Number(arg("seconds", "10"));
const cpuLimit = arg("cpu-limit", "");

const mib = (b: number) => (b / 2 ** 20).toFixed(0);

function limitsOf(name: string, given: PodSize): { memoryMiB?: number; goMemLimitMiB?: number; cpuMilli?: number } {
    const size = cpuLimit ? { ...given, cpuLimitMilli: Number(cpuLimit) } : given;
    switch (name) {
        case "sized":
            return { memoryMiB: size.memoryMiB, goMemLimitMiB: size.goMemLimitMiB, cpuMilli: size.cpuLimitMilli };
        case "no-gomemlimit":
            return { memoryMiB: size.memoryMiB, cpuMilli: size.cpuLimitMilli };
        case "no-cpu-limit":
            return { memoryMiB: size.memoryMiB, goMemLimitMiB: size.goMemLimitMiB };
        case "unlimited":
            return {};
        default:
            throw new Error(`unknown variant ${name}: sized, no-gomemlimit, no-cpu-limit or unlimited`);
    }
}

async function main() {
    const why = cgroupsUnavailable();
    if (why) {
        console.error(`cannot set a container's limits here: ${why}`);
        process.exit(1);
    }
    const cfg = readStackFile(stack).config;
    const replicas = Number(cfg["catbox-gke:replicas"] ?? 2);
    const clientsPerPod = Number(arg("clients", cfg["catbox-gke:clientsPerPod"] ?? "150"));
    const size = podSize(clientsPerPod);
    console.log(
        `stack ${stack}: ${replicas} daemons x ${clientsPerPod} TLS clients in one channel, ${talkers} talking at 1 line/s for ${seconds} s; ` +
            `then pod ${replicas - 1} killed and its clients all reconnect to the others at once (${Math.ceil((clientsPerPod * replicas) / (replicas - 1))} a survivor; pods have room for ${size.failoverClients}). ` +
            `Pod size: ${size.memoryMiB} MiB, GOMEMLIMIT ${size.goMemLimitMiB} MiB, CPU ${size.cpuRequestMilli}m/${size.cpuLimitMilli}m`,
    );
    console.log("variant                limits    steady(anon del p99) rejoin_s  peak_MiB  oom wdog f/k  lost  cpu_s/thr  after(del p99)");
    for (const name of variants) {
        const l = limitsOf(name, size);
        const limits = `${l.memoryMiB ?? "-"}/${l.goMemLimitMiB ?? "-"}/${l.cpuMilli ? `${l.cpuMilli}m` : "-"}`;
        try {
            const r = await failover({ stack, clientsPerPod, ...l, talkers, seconds, block: 220, label: name });
            console.log(
                [
                    name.padEnd(14),
                    limits.padStart(15),
                    `${r.steadyAnon.map(mib).join("/")} ${r.steady.delivered.toFixed(3)} ${r.steady.p99Ms}`.padStart(20),
                    r.rejoinSeconds.toFixed(1).padStart(8),
                    `${mib(r.peakAnon)}/${mib(r.peakCgroup)}`.padStart(9),
                    String(r.oomKills).padStart(4),
                    `${r.failedChecks}/${r.watchdogKills}`.padStart(8),
                    String(r.lost + r.notRejoined).padStart(5),
                    `${r.cpuSeconds === undefined ? "-" : r.cpuSeconds.toFixed(1)}/${r.throttledSeconds.toFixed(1)}`.padStart(10),
                    `${r.after.delivered.toFixed(3)} ${r.after.p99Ms}`.padStart(12),
                ].join(" "),
            );
        } catch (e) {
            console.log(`${name.padEnd(14)} ${limits.padStart(15)}  failed: ${(e as Error).message}`);
        }
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
