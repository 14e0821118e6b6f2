// One network across two regions on the real catbox: each region's daemons
// rendered from its own stack (prod, as two regions of one network), its hubs
// dialling the other region's hubs over TLS by their public names. Those names
// resolve through an /etc/hosts of the pods' own (a mount namespace each), and
// catbox trusts a test CA through SSL_CERT_FILE, as it would trust Let's Encrypt.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { serverName } from "../components/catbox/names";
import { readStackFile, renderStack } from "../harness/offline/stack";
import { LocalNetwork, shapeOf } from "../harness/realCatbox/localNetwork";
import { caSignedPair, testCa, type TlsPair } from "../harness/realCatbox/tlsPair";
import { holdsFor, waitUntil } from "../harness/waitUntil";
import { daemon, linkTimeoutMs, skipPods } from "./support/realCatbox";

const replicas = 2;
const secretKeys = ["linkSecret"];
const shared = { replicas: String(replicas), hubs: "1", linkSecret: "the-network-shared-link-secret-0123" };
const regions = {
    us: { ...shared, regionNumber: "1", serverNamePattern: "irc{n}.us.example.org", hostname: "us.irc.example.org" },
    eu: { ...shared, regionNumber: "2", serverNamePattern: "irc{n}.eu.example.org", hostname: "eu.irc.example.org" },
};
type Region = keyof typeof regions;
const names = (r: Region) => Array.from({ length: replicas }, (_, n) => serverName(regions[r].serverNamePattern, n));

interface Running {
    nets: Record<Region, LocalNetwork>;
    stop: () => Promise<void>;
}

/**
 * Both regions, each knowing the other (each stack rendered with the other's
 * linkEndpoints), on blocks `block` and `block + 1`, with these certificates.
 */
async function twoRegions(
    block: number,
    ca: TlsPair,
    certificates: Record<Region, TlsPair>,
    linkSecrets: Partial<Record<Region, string>> = {},
): Promise<Running> {
    const cfg = readStackFile("prod").config;
    const values = (r: Region) => ({ ...regions[r], ...(linkSecrets[r] ? { linkSecret: linkSecrets[r]! } : {}) });
    const alone = { us: await renderStack("prod", values("us"), secretKeys), eu: await renderStack("prod", values("eu"), secretKeys) };
    const files = {
        us: (
            await renderStack("prod", { ...values("us"), peers: '["prod-eu"]' }, secretKeys, {
                "prod-eu": { linkEndpoints: alone.eu.outputs.linkEndpoints },
            })
        ).files,
        eu: (
            await renderStack("prod", { ...values("eu"), peers: '["prod-us"]' }, secretKeys, {
                "prod-us": { linkEndpoints: alone.us.outputs.linkEndpoints },
            })
        ).files,
    };
    const work = mkdtempSync(path.join(tmpdir(), "regions-"));
    const hostsFile = path.join(work, "hosts");
    const caFile = path.join(work, "ca.crt");
    writeFileSync(caFile, ca.certificatePem);
    const nets = {} as Record<Region, LocalNetwork>;
    for (const [i, r] of (["us", "eu"] as const).entries()) {
        nets[r] = new LocalNetwork({
            binary: daemon,
            shape: shapeOf(cfg),
            files: files[r],
            block: block + i,
            issuedTls: certificates[r],
            hostsFile,
            catboxEnv: { SSL_CERT_FILE: caFile },
        });
    }
    // The public names: every daemon's server name, at its pod's own address.
    writeFileSync(
        hostsFile,
        ["127.0.0.1 localhost", ...(["us", "eu"] as const).flatMap((r) => names(r).map((name, n) => `${nets[r].address(n)} ${name}`))].join("\n") +
            "\n",
    );
    await Promise.all((["us", "eu"] as const).flatMap((r) => names(r).map((_, n) => nets[r].start(n))));
    return {
        nets,
        stop: async () => {
            for (const r of ["us", "eu"] as const) await nets[r].stop();
            rmSync(work, { recursive: true, force: true });
        },
    };
}

const regionCertificates = (ca: TlsPair) => ({
    us: caSignedPair(ca, [regions.us.hostname, ...names("us")]),
    eu: caSignedPair(ca, [regions.eu.hostname, ...names("eu")]),
});

describe("two regions of one network, on the real daemon", { skip: skipPods }, () => {
    const ca = testCa();
    let running: Running;
    before(
        async () => {
            running = await twoRegions(18, ca, regionCertificates(ca));
        },
        { timeout: 60_000 },
    );
    after(() => running?.stop());

    it(
        "link over verified TLS: every daemon sees all four, and a message crosses from a leaf in one region to a leaf in the other",
        { timeout: 60_000 },
        async () => {
            const { us, eu } = running.nets;
            const from = await us.client(1, "alice");
            const to = await eu.client(1, "bob");
            await us.waitForLinks(from, 2 * replicas, linkTimeoutMs);
            await eu.waitForLinks(to, 2 * replicas, linkTimeoutMs);
            from.send("PRIVMSG bob :hello from us");
            await to.waitFor(/:alice!\S+ PRIVMSG bob :hello from us/, 5000, "the message from us");
            // The cross-region link is TLS, and no daemon logged a config error.
            assert.match(us.log(0) + eu.log(0), /Connecting to irc0\.(eu|us)\.example\.org with TLS/);
            assert.deepEqual([...us.configErrors(), ...eu.configErrors()], []);
        },
    );
});

describe("two regions that must not link, on the real daemon", { skip: skipPods }, () => {
    // Only the dialling side verifies (a server's certificate, never a client's): a region
    // with a bad certificate would still link by dialling out to a good one, so both are bad here.
    const ca = testCa();
    for (const [what, block, certificates, linkSecrets, logLine] of [
        [
            "certificates from a CA the peers do not trust",
            20,
            () => {
                const other = testCa("another CA");
                return {
                    us: caSignedPair(other, [regions.us.hostname, ...names("us")]),
                    eu: caSignedPair(other, [regions.eu.hostname, ...names("eu")]),
                };
            },
            {},
            /certificate signed by unknown authority/,
        ],
        [
            "certificates for other names",
            22,
            () => ({ us: caSignedPair(ca, ["irc.elsewhere.example.net"]), eu: caSignedPair(ca, ["irc.elsewhere.example.net"]) }),
            {},
            /certificate is valid for irc\.elsewhere\.example\.net, not irc0\.(eu|us)\.example\.org/,
        ],
        [
            "another link secret in one region (the TLS handshake passes; the peer's password does not)",
            24,
            () => regionCertificates(ca),
            { eu: "another-link-secret-entirely-0123" },
            /Connected to irc0\.(eu|us)\.example\.org with TLS/,
        ],
    ] as const) {
        it(`${what}: no link, and the daemon's log says how far it got`, { timeout: 60_000 }, async () => {
            const r = await twoRegions(block, ca, certificates(), linkSecrets);
            try {
                const c = await r.nets.us.client(0, "watcher");
                // Each region links inside itself.
                await r.nets.us.waitForLinks(c, replicas, linkTimeoutMs);
                const logs = () => r.nets.us.log(0) + r.nets.eu.log(0);
                await waitUntil(`the hubs' attempt in their logs (${logLine})`, () => logLine.test(logs()), { timeoutMs: 15_000, detail: logs });
                // A few more attempts (one a second): none links across.
                await holdsFor("no link between the regions", 4000, () =>
                    /Established link to irc\d\.(eu|us)\.example\.org/.test(
                        r.nets.us.log(0).replace(/Established link to irc\d\.us\.example\.org/g, ""),
                    )
                        ? "us linked to eu"
                        : undefined,
                );
                assert.equal((await c.links()).length, replicas, "linked across regions");
            } finally {
                await r.stop();
            }
        });
    }
});
