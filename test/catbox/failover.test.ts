// The day a pod dies, at the committed prod stack's size, on the real catbox
// under the limits the program gives its container (a memory and CPU cgroup of
// its own, as kubelet sets them): every pod full at clientsPerPod, one killed,
// all its clients back at once on the other. Nothing may be killed (by the
// kernel for memory, or by the watchdog for not answering), no client dropped,
// every line delivered. `npm run bench:failover` gives the figures.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { podSize } from "../../components/catbox/sizing";
import { readStackFile } from "../../harness/offline/stack";
import { cgroupsUnavailable } from "../../harness/realCatbox/cgroup";
import { failover } from "../../harness/realCatbox/failover";
import { skipUnlessRequired } from "../../harness/neverSkip";
import { skipPods } from "../support/realCatbox";

const noCgroups = skipUnlessRequired("the failover test", cgroupsUnavailable() ?? undefined);

describe("the committed prod stack, the day a pod dies", () => {
    it(
        "the survivor takes the dead pod's clients within its limits: no OOM kill, no watchdog kill, no client lost",
        { timeout: 240_000, skip: skipPods ?? noCgroups ?? undefined },
        async () => {
            const cfg = readStackFile("prod").config;
            const size = podSize(Number(cfg["catbox-gke:clientsPerPod"] ?? 150));
            const r = await failover({
                stack: "prod",
                memoryMiB: size.memoryMiB,
                goMemLimitMiB: size.goMemLimitMiB,
                cpuMilli: size.cpuLimitMilli,
                talkers: 10,
                seconds: 3,
                block: 16,
                label: "test",
            });
            // Two pods is the worst case the size is for: the survivor holds every client.
            assert.equal(r.replicas * r.clientsPerPod, size.failoverClients * (r.replicas - 1), "the prod stack is not the 2-pod worst case");
            assert.equal(r.oomKills, 0, "the kernel killed a survivor for memory");
            assert.equal(r.watchdogKills, 0, `the watchdog killed a survivor (${r.failedChecks} failed checks)`);
            assert.deepEqual([r.lost, r.notRejoined], [0, 0], "clients dropped / moved clients that never got back in");
            assert.deepEqual([r.steady.delivered, r.after.delivered], [1, 1], "lines delivered before / after");
            assert.ok(r.peakAnon < size.memoryMiB * 2 ** 20, "the survivor's memory stayed under its limit");
        },
    );
});
