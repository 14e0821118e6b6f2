// The day a pod dies, on the real catbox under its container's limits: a
// stack's daemons linked, each in a memory and CPU cgroup of its own (see
// cgroup.ts) with the reloader's watchdog beside it, each holding
// `clientsPerPod` TLS clients in one channel where `talkers` talk a line a
// second; then the last pod is killed (SIGKILL: its clients' connections drop at
// once) and every one of its clients reconnects at once to the survivors,
// spread as the load balancer spreads them, and rejoins the channel; then the
// talkers talk again. Used by `npm run bench:failover` and by the test that
// holds the committed prod stack's pods to it.
import { setTimeout as sleep } from "node:timers/promises";
import { containerTlsPort, serverName } from "../../components/catbox/names";
import { readStackFile, renderCatboxFiles } from "../offline/stack";
import { waitUntil } from "../waitUntil";
import { catboxBinary } from "./binary";
import { ContainerCgroup } from "./cgroup";
import { IrcClient } from "./ircClient";
import { LocalNetwork, shapeOf } from "./localNetwork";
import { cpuSeconds } from "./procStats";
import { selfSignedPair } from "./tlsPair";

export interface FailoverOptions {
    stack: string;
    /** Clients each daemon holds before the kill (the stack's clientsPerPod unless given). */
    clientsPerPod?: number;
    /** The catbox container's limits and GOMEMLIMIT; unset = none. */
    memoryMiB?: number;
    goMemLimitMiB?: number;
    cpuMilli?: number;
    talkers: number;
    /** How long the talkers talk, before the kill and after. */
    seconds: number;
    /** The loopback block the daemons listen in (see LocalNetwork). */
    block: number;
    /** Names this run's cgroups. */
    label: string;
}

export interface Talk {
    /** Lines the observers got / lines they should have got. */
    delivered: number;
    p99Ms: number;
}

export interface FailoverResult {
    replicas: number;
    clientsPerPod: number;
    /** Anonymous memory of each daemon before the kill, bytes. */
    steadyAnon: number[];
    steady: Talk;
    /** From the kill until every moved client is registered and in the channel. */
    rejoinSeconds: number;
    /** Highest anonymous memory of a survivor (sampled every 100 ms), and the cgroup's own peak, bytes. */
    peakAnon: number;
    peakCgroup: number;
    /** Processes the kernel killed for memory, over all survivors. */
    oomKills: number;
    /** The survivors' watchdogs: failed health checks, and kills. */
    failedChecks: number;
    watchdogKills: number;
    /** Survivors' clients whose connection dropped, and moved clients that never got back in. */
    lost: number;
    notRejoined: number;
    /** CPU seconds the survivors spent from the kill to the end (undefined if catbox restarted), and seconds throttled. */
    cpuSeconds?: number;
    throttledSeconds: number;
    after: Talk;
}

const channel = "#load";

const percentile = (xs: number[], p: number) => {
    if (xs.length === 0) return NaN;
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** Talkers send a line a second for `seconds`; observers time each line. */
async function talk(from: IrcClient[], to: IrcClient[], seconds: number): Promise<Talk> {
    const latencies: number[] = [];
    let received = 0;
    for (const o of to) {
        o.onLine = (l) => {
            const m = / PRIVMSG #load :t (\d+)$/.exec(l);
            if (m) {
                received++;
                latencies.push(Date.now() - Number(m[1]));
            }
        };
    }
    let sent = 0;
    for (let s = 0; s < seconds; s++) {
        for (const t of from) {
            t.send(`PRIVMSG ${channel} :t ${Date.now()}`);
            sent++;
        }
        await sleep(1000);
    }
    // Every line in, or a deadline that says how many were missing.
    await waitUntil(`${sent * to.length} lines at the observers`, () => received >= sent * to.length, { timeoutMs: 10_000 }).catch(() => undefined);
    for (const o of to) o.onLine = undefined;
    return { delivered: received / (sent * to.length), p99Ms: percentile(latencies, 99) };
}

/** The stack's daemons rendered at `clientsPerPod`, each in a cgroup at its pod's limits, not started yet. */
async function failoverNetwork(o: FailoverOptions) {
    const bin = catboxBinary();
    if ("skip" in bin) throw new Error(`no catbox: ${bin.skip}`);
    const cfg = readStackFile(o.stack).config;
    const replicas = Number(cfg["catbox-gke:replicas"] ?? 2);
    const clientsPerPod = o.clientsPerPod ?? Number(cfg["catbox-gke:clientsPerPod"] ?? 0);
    if (!(replicas > 1 && clientsPerPod > 0)) throw new Error(`stack ${o.stack}: a failover needs 2 replicas or more and clientsPerPod`);
    const names = Array.from({ length: replicas }, (_, n) => serverName(cfg["catbox-gke:serverNamePattern"], n));
    const hostname = cfg["catbox-gke:hostname"];
    // What the issued certificate names: the client name and every server's.
    const pair = selfSignedPair(hostname ? [hostname, ...names] : names);
    const letsEncrypt = cfg["catbox-gke:tlsMode"] === "letsEncrypt";
    const files = await renderCatboxFiles(
        o.stack,
        {
            clientsPerPod: String(clientsPerPod),
            // The node type changes nothing in the daemons' files; a large one lets clientsPerPod go past the stack's nodes.
            machineType: "e2-standard-4",
            ...(letsEncrypt ? {} : { tlsMode: "provided", tlsCertificate: pair.certificatePem, tlsKey: pair.keyPem }),
        },
        letsEncrypt ? [] : ["tlsKey"],
    );
    const cgroups = names.map((_, n) => new ContainerCgroup(`${o.label}-${n}`, { memoryMiB: o.memoryMiB, cpuMilli: o.cpuMilli }));
    const net = new LocalNetwork({
        binary: bin.path,
        shape: shapeOf(cfg),
        files,
        block: o.block,
        catboxEnv: o.goMemLimitMiB ? { GOMEMLIMIT: `${o.goMemLimitMiB}MiB` } : {},
        reloaderShell: ["busybox", "sh"],
        catboxCgroup: (n) => cgroups[n].procsFiles,
        ...(letsEncrypt ? { issuedTls: pair } : {}),
    });
    return { replicas, clientsPerPod, names, hostname, pair, cgroups, net };
}

/** A crowd arrives in batches of 50, as many at once as a busy network sees. */
async function arriveInBatches(count: number, arrive: (i: number) => Promise<void>) {
    for (let i = 0; i < count; i += 50) {
        await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, k) => arrive(i + k)));
    }
}

export async function failover(o: FailoverOptions): Promise<FailoverResult> {
    const { replicas, clientsPerPod, names, hostname, pair, cgroups, net } = await failoverNetwork(o);
    const clients: IrcClient[][] = names.map(() => []);
    const join = async (n: number, nick: string) => {
        const c = await IrcClient.connect({
            host: net.address(n),
            port: containerTlsPort,
            nick,
            tls: { servername: hostname ?? names[n], ca: pair.certificatePem },
            timeoutMs: 120_000,
        });
        await c.ask(`JOIN ${channel}`, / 366 /, 120_000);
        c.keepLines = false;
        c.lines.length = 0;
        return c;
    };
    try {
        await Promise.all(names.map((_, n) => net.start(n, 30_000)));
        const probe = await net.client(0, "probe");
        await net.waitForLinks(probe, replicas, 30_000);
        await arriveInBatches(clientsPerPod * replicas, async (i) => {
            const n = i % replicas;
            clients[n].push(await join(n, `u${i}`));
        });
        const survivors = names.slice(0, -1).map((_, n) => n);
        const dead = replicas - 1;
        const observersOn = (list: number[]) => list[list.length > 1 ? 1 : 0];
        const steady = await talk(clients[0].slice(0, o.talkers), clients[dead].slice(0, 10), o.seconds);
        const steadyAnon = cgroups.map((g) => g.anonBytes());
        const pids = survivors.map((n) => net.catboxPid(n));
        const cpu0 = pids.map(cpuSeconds);
        const throttled0 = survivors.map((n) => cgroups[n].throttling().seconds);

        let peakAnon = 0;
        const sampler = setInterval(() => {
            for (const n of survivors) peakAnon = Math.max(peakAnon, cgroups[n].anonBytes());
        }, 100);
        const killed = Date.now();
        await net.stopPod(dead);
        const moved = clients[dead];
        clients[dead] = [];
        // Every moved client at once, as clients do when their connection drops.
        const rejoined = await Promise.allSettled(moved.map((_, i) => join(survivors[i % survivors.length], `m${i}`)));
        const rejoinSeconds = (Date.now() - killed) / 1000;
        rejoined.forEach((r, i) => {
            if (r.status === "fulfilled") clients[survivors[i % survivors.length]].push(r.value);
        });
        const after = await talk(clients[0].slice(0, o.talkers), clients[observersOn(survivors)].slice(o.talkers, o.talkers + 10), o.seconds);
        clearInterval(sampler);

        const logs = survivors.map((n) => net.reloaderLog(n)).join("\n");
        const cpu = cpuSince(pids, cpu0);
        return {
            replicas,
            clientsPerPod,
            steadyAnon,
            steady,
            rejoinSeconds,
            peakAnon,
            peakCgroup: Math.max(...survivors.map((n) => cgroups[n].peakBytes())),
            oomKills: survivors.reduce((s, n) => s + cgroups[n].oomKills(), 0),
            failedChecks: (logs.match(/health check failed/g) ?? []).length,
            watchdogKills: (logs.match(/is hung: killing it/g) ?? []).length,
            lost: survivors.reduce((s, n) => s + clients[n].filter((c) => c.closed).length, 0),
            notRejoined: rejoined.filter((r) => r.status === "rejected").length,
            cpuSeconds: cpu,
            throttledSeconds: survivors.reduce((s, n, i) => s + cgroups[n].throttling().seconds - throttled0[i], 0),
            after,
        };
    } catch (e) {
        const logs = names.map((_, n) => `--- catbox ${n} (last lines)\n${net.log(n).split("\n").slice(-8).join("\n")}`).join("\n");
        throw new Error(`${(e as Error).message.split("\n")[0]}; OOM kills per pod ${cgroups.map((g) => g.oomKills()).join("/")}\n${logs}`, {
            cause: e,
        });
    } finally {
        for (const cs of clients) for (const c of cs) c.close();
        await net.stop();
        await waitUntil("the pods' cgroups to empty and go", () => cgroups.map((g) => g.remove()).every(Boolean), { timeoutMs: 10_000 });
    }
}

/** CPU seconds the processes used since `before`; undefined once one was restarted (its CPU time went with it). */
function cpuSince(pids: number[], before: number[]): number | undefined {
    try {
        return pids.map((p, i) => cpuSeconds(p) - before[i]).reduce((a, b) => a + b, 0);
    } catch {
        return undefined;
    }
}
