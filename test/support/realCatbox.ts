// Shared by the real-daemon tests (test/realCatbox*.test.ts): the daemon, the
// stack's rendered files, the operator's TLS pair and a network of pods.
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { after, before } from "node:test";
import type { TLSSocket } from "node:tls";
import { serverName } from "../../components/catbox/names";
import { catboxBinary, howToEnable } from "../../harness/realCatbox/binary";
import { IrcClient } from "../../harness/realCatbox/ircClient";
import { LocalNetwork, podLauncher, shapeOf } from "../../harness/realCatbox/localNetwork";
import { selfSignedPair, TlsPair } from "../../harness/realCatbox/tlsPair";
import { readStackFile, renderCatboxFiles } from "../../harness/offline/stack";
import { skipUnlessRequired } from "../../harness/neverSkip";

const binary = catboxBinary();
export const noDaemon = "skip" in binary ? `no real catbox: ${binary.skip}; ${howToEnable}` : undefined;
if (noDaemon) console.log(`# real-daemon tests skipped: ${noDaemon}`);
export const daemon = "path" in binary ? binary.path : "";

const busybox = spawnSync("busybox", ["true"]).status === 0;
export const noPods = skipUnlessRequired(
    "the reload tests",
    !podLauncher() ? "no PID namespaces here (unshare)" : !busybox ? "no busybox (apt-get install busybox), the reloader image's shell" : undefined,
);

const stack = "dev";
export const stackConfig = readStackFile(stack).config;
export const shape = shapeOf(stackConfig);
export const nameOf = (n: number) => serverName(stackConfig["catbox-gke:serverNamePattern"], n);
export const namesOf = (replicas: number) => Array.from({ length: replicas }, (_, n) => nameOf(n));

/** The operator's own pair for every name the tests use (tlsMode provided). */
export const pair = selfSignedPair(namesOf(5));
// "__proto__" too: a name that building an object by assignment would drop.
export const opersJson = '{"alice":"Alice-oper-pass1","bob":"Bob-oper-pass2","__proto__":"Proto-oper-pass3"}';
export const opers: [string, string][] = Object.entries(JSON.parse(opersJson));
export const spoof = "staff.example.org";
const values = (replicas: number, tls: TlsPair = pair, extra: Record<string, string> = {}) => ({
    replicas: String(replicas),
    tlsMode: "provided",
    tlsCertificate: tls.certificatePem,
    tlsKey: tls.keyPem,
    opers: opersJson,
    users: JSON.stringify([{ usermask: "*spoofme", hostmask: "*", spoof }]),
    ...extra,
});
export const files = (replicas: number, tls?: TlsPair, extra?: Record<string, string>) =>
    renderCatboxFiles(stack, values(replicas, tls, extra), ["tlsKey", "opers"]);

/** A TLS client of daemon n as a user's client: Node's defaults, the server name checked against `ca`. */
export const tlsTo = (n: number, ca = pair.certificatePem) => ({ servername: nameOf(n), ca });
export const linkTimeoutMs = 15_000;
/**
 * Why the tests of the real daemon, and of its pods (with their reloader), cannot
 * run here; undefined where they can. Each such test is skipped on its own, so
 * that `npm test`'s summary counts them as skipped.
 */
export const skipDaemon = noDaemon;
export const skipPods = noDaemon ?? noPods;
/** A test's options on the real daemon: its time, and skipped where it cannot run. */
export const onDaemon = (timeout = 30_000) => ({ timeout, skip: skipDaemon });
export const inPods = (timeout = 60_000) => ({ timeout, skip: skipPods });
export const step = onDaemon();

export function servedCertificate(c: IrcClient): X509Certificate {
    return new X509Certificate((c.socket as TLSSocket).getPeerCertificate().raw);
}

/** A network of `replicas` pods, started together, fully linked before the tests run. */
export function network(
    block: number,
    replicas: number,
    reloader = false,
    reloaderEnv: Record<string, string> = {},
    extra: Record<string, string> = {},
    tls: TlsPair = pair,
) {
    const ctx = {} as { net: LocalNetwork };
    if (reloader ? skipPods : skipDaemon) return ctx;
    before(
        async () => {
            ctx.net = new LocalNetwork({
                binary: daemon,
                shape,
                files: await files(replicas, tls, extra),
                block,
                ...(reloader ? { reloaderShell: ["busybox", "sh"], reloaderEnv } : {}),
            });
            await Promise.all(namesOf(replicas).map((_, n) => ctx.net.start(n)));
            const probe = await ctx.net.client(0, "probe");
            await ctx.net.waitForLinks(probe, replicas, linkTimeoutMs);
            probe.close();
        },
        { timeout: 60_000 },
    );
    after(() => ctx.net?.stop());
    return ctx;
}
