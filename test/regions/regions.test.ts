// One network across regions, under the mocks: what a region exports, what its
// hubs list of the peer regions, and the peers it refuses before creating anything.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { linkPassword, relinkerPassword } from "../../components/catbox/files";
import { topologyProblems } from "../../harness/realCatbox/topology";
import { sid } from "../../components/catbox/names";
import { regionConflicts, regionEndpoints, type RegionEndpoints } from "../../components/regions/endpoints";
import { checkRegions } from "../../components/regions/sharedName";
import { byType, config, one, type Registered, run, T } from "../support/helpers";

const us = {
    regionNumber: "1",
    serverNamePattern: "irc{n}.us.example.org",
    tlsMode: "letsEncrypt",
    hostname: "us.irc.example.org",
    dnsZone: "example-org",
    linkSecret: "a-shared-link-secret-of-the-network",
    // Before the peer's first up: named, with no endpoints yet.
    peers: '["prod-eu"]',
};
const eu = { ...us, regionNumber: "2", serverNamePattern: "irc{n}.eu.example.org", hostname: "eu.irc.example.org", peers: '["prod-us"]' };
const secretKeys = ["linkSecret"];
const serversConf = (rs: Registered[], n: number) => one(rs, T.secret, "irc-config").inputs.stringData[`servers-${n}.conf`] as string;

/** The problems' lines alone. */
const regionProblems = (own: RegionEndpoints, peers: { stack: string; endpoints: RegionEndpoints }[]) =>
    regionConflicts(own, peers).map((c) => c.problem);

describe("one network, several regions", () => {
    it("SIDs start with the region's digit: unique across regions, unchanged (0..) for a lone region", () => {
        assert.equal(sid(5), "005");
        assert.equal(sid(5, 2), "205");
        assert.throws(() => sid(0, 10), /region 10/);
        const e = regionEndpoints(config({ ...us, replicas: "3", nodeCount: "3" }, secretKeys));
        assert.deepEqual(e, {
            regionNumber: 1,
            serverNames: ["irc0.us.example.org", "irc1.us.example.org", "irc2.us.example.org"],
            sids: ["100", "101", "102"],
            hubs: [
                { server: "irc0.us.example.org", port: 6697 },
                { server: "irc1.us.example.org", port: 6697 },
            ],
        });
    });

    it("a region exports its link endpoints; its hubs list the peer's hubs over TLS by their public names, the others do not", async () => {
        const euRun = await run({ ...eu, replicas: "3", nodeCount: "3" }, secretKeys);
        const euEndpoints = euRun.outputs.linkEndpoints;
        assert.equal(euEndpoints.regionNumber, 2);
        const usRun = await run({ ...us, replicas: "3", nodeCount: "3", peers: '["my-org/catbox-gke/prod-eu"]' }, secretKeys, {
            otherStacks: { "my-org/catbox-gke/prod-eu": { linkEndpoints: euEndpoints } },
        });
        for (const n of [0, 1]) {
            const lines = serversConf(usRun.resources, n).split("\n");
            for (const hub of ["irc0.eu.example.org", "irc1.eu.example.org"]) {
                // The same password the eu hub computes for this pair: both sides share the link secret.
                assert.ok(lines.includes(`${hub} = ${hub},6697,${linkPassword(us.linkSecret, `irc${n}.us.example.org`, hub)},1`), lines.join("\n"));
            }
        }
        assert.doesNotMatch(serversConf(usRun.resources, 2), /eu\.example\.org/, "a daemon that is no hub links only in its cluster");
        // Never plaintext outside the cluster.
        for (const line of serversConf(usRun.resources, 0)
            .split("\n")
            .filter((l) => l.includes("eu.example.org"))) {
            assert.match(line, /,1$/);
        }
    });

    it("hub n > 0 gets relink-n.conf (its reloader's nick, the hubs below it), none without peers; opers.conf the relinker's oper always", async () => {
        const euEndpoints = (await run({ ...eu, replicas: "3", nodeCount: "3" }, secretKeys)).outputs.linkEndpoints;
        const files = (
            await run({ ...us, replicas: "3", nodeCount: "3", hubs: "3", peers: '["prod-eu"]' }, secretKeys, {
                otherStacks: { "prod-eu": { linkEndpoints: euEndpoints } },
            })
        ).resources;
        const data = one(files, T.secret, "irc-config").inputs.stringData as Record<string, string>;
        assert.deepEqual(
            Object.keys(data).filter((f) => f.startsWith("relink-")),
            ["relink-1.conf", "relink-2.conf"],
        );
        const body = (f: string) => data[f].split("\n").filter((l) => l && !l.startsWith("#"));
        assert.deepEqual(body("relink-1.conf"), ["nick = rl1_1", "irc0.us.example.org = catbox-0.irc.svc.cluster.local,6667,lower-hub"]);
        assert.deepEqual(body("relink-2.conf").slice(1), [
            "irc0.us.example.org = catbox-0.irc.svc.cluster.local,6667,lower-hub",
            "irc1.us.example.org = catbox-1.irc.svc.cluster.local,6667,lower-hub",
        ]);
        assert.ok(body("opers.conf").includes(`relinker = ${relinkerPassword(us.linkSecret)}`));
        // Alone, or before any peer has endpoints: nothing of it.
        const alone = one((await run({ ...us, replicas: "3", nodeCount: "3" }, secretKeys)).resources, T.secret, "irc-config").inputs.stringData;
        assert.deepEqual(
            Object.keys(alone).filter((f) => f.startsWith("relink-")),
            [],
        );
        // The stack's own oper is there alone too: the reloaders apply the bans with it.
        assert.match(alone["opers.conf"], /^relinker = [0-9a-f]{40}$/m);
    });

    it("the shape of a network of regions: one link between two regions, each region linked inside it", () => {
        const regions = { us: ["u0", "u1", "u2"], eu: ["e0", "e1"] };
        assert.deepEqual(
            topologyProblems(
                [
                    ["u0", "u1"],
                    ["u1", "u2"],
                    ["e0", "u0"],
                    ["e0", "e1"],
                ],
                regions,
            ),
            [],
        );
        assert.deepEqual(
            topologyProblems(
                [
                    ["u0", "u1"],
                    ["e0", "u0"],
                    ["e1", "u1"],
                ],
                regions,
            ),
            ["2 links join us and eu: e0-u0, e1-u1", "eu's e1 reach e0 only through another region"],
        );
        assert.deepEqual(
            topologyProblems(
                [
                    ["e0", "u0"],
                    ["e0", "u1"],
                    ["e0", "e1"],
                ],
                regions,
            ),
            ["2 links join us and eu: e0-u0, e0-u1", "us's u1 reach u0 only through another region"],
        );
    });

    it("the prober also targets the peer's hubs by public name over TLS, and expects every region's servers", async () => {
        const euEndpoints = (await run({ ...eu, replicas: "3", nodeCount: "3" }, secretKeys)).outputs.linkEndpoints;
        const { resources } = await run({ ...us, peers: '["prod-eu"]' }, secretKeys, { otherStacks: { "prod-eu": { linkEndpoints: euEndpoints } } });
        const env = Object.fromEntries(one(resources, T.deployment).inputs.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
        const targets = JSON.parse(env.PROBER_TARGETS);
        assert.deepEqual(
            targets.filter((t: any) => t.tls).map((t: any) => [t.server, t.host, t.port]),
            [
                ["irc0.eu.example.org", "irc0.eu.example.org", 6697],
                ["irc1.eu.example.org", "irc1.eu.example.org", 6697],
            ],
        );
        assert.equal(targets.filter((t: any) => !t.tls).length, 2, "this region's own daemons, in the cluster");
        assert.equal(env.PROBER_EXPECTED_SERVERS, "5", "2 here and 3 in eu");
    });

    it("a peer whose stack has no endpoints yet (its first up is still to come) is left out, and the up goes on", async () => {
        const { resources } = await run({ ...us, peers: '["prod-eu"]' }, secretKeys);
        assert.doesNotMatch(serversConf(resources, 0), /eu\.example\.org/);
        assert.ok(byType(resources, T.statefulSet).length === 1);
    });

    for (const [what, peer, message] of [
        ["the same regionNumber", { ...eu, regionNumber: "1" }, /prod-eu has regionNumber 1, as this stack has/],
        [
            "a server name of this region's",
            { ...eu, serverNamePattern: "irc{n}.us.example.org" },
            /prod-eu has the server name\(s\) irc0\.us\.example\.org, irc1\.us\.example\.org, as this stack has/,
        ],
    ] as const) {
        it(`a peer with ${what} is refused, before anything is created`, async () => {
            const euEndpoints = (await run(peer, secretKeys)).outputs.linkEndpoints;
            await assert.rejects(
                run({ ...us, peers: '["prod-eu"]' }, secretKeys, { otherStacks: { "prod-eu": { linkEndpoints: euEndpoints } } }),
                (err: Error & { registered?: Registered[] }) => {
                    assert.ok(pulumi.RunError.isInstance(err));
                    assert.match(err.message, message);
                    assert.match(err.message, /catbox-gke:peers: /);
                    assert.deepEqual(
                        (err.registered ?? []).map((r) => r.type).filter((t) => t !== T.stackReference),
                        ["pulumi:pulumi:Stack"],
                    );
                    return true;
                },
            );
        });
    }

    it("a hub name outside the zone is refused before anything is created (the peers dial it by its A record there)", async () => {
        await assert.rejects(
            run({ ...us, serverNamePattern: "irc{n}.us.elsewhere.net" }, secretKeys),
            (err: Error & { registered?: Registered[] }) => {
                assert.match(err.message, /catbox-gke:serverNamePattern = "irc\{n\}\.us\.elsewhere\.net": is not inside the Cloud DNS zone/);
                assert.deepEqual(
                    (err.registered ?? []).map((r) => r.type).filter((t) => t !== T.stackReference),
                    ["pulumi:pulumi:Stack"],
                );
                return true;
            },
        );
    });

    it("peers set with --secret: each peer is 'peer n' in resource names and messages, its stack's name a secret input; colliding secrets not shown", async () => {
        const euEndpoints = (await run(eu, secretKeys)).outputs.linkEndpoints;
        const { resources } = await run({ ...us }, [...secretKeys, "peers"], { otherStacks: { "prod-eu": { linkEndpoints: euEndpoints } } });
        const refs = byType(resources, T.stackReference);
        assert.deepEqual(
            refs.map((r) => r.name),
            ["peer-0"],
        );
        assert.ok(refs[0].secretInputs.includes("name"), "the stack's name is a secret input");
        // In plain text, the reference is named after its stack, as before.
        assert.deepEqual(
            byType((await run({ ...us }, secretKeys)).resources, T.stackReference).map((r) => r.name),
            ["peer-prod-eu"],
        );
        // A collision of secret values: which peer, and that it collides, without the values.
        const clash = (await run({ ...eu, regionNumber: "7", serverNamePattern: "irc{n}.us.example.org" }, secretKeys)).outputs.linkEndpoints;
        await assert.rejects(
            run({ ...us, regionNumber: "7" }, [...secretKeys, "peers", "regionNumber", "serverNamePattern"], {
                otherStacks: { "prod-eu": { linkEndpoints: clash } },
            }),
            (err: Error) => {
                assert.match(err.message, /catbox-gke:peers: peer 1 collides with this region/);
                for (const shown of ["prod-eu", "irc0.us.example.org", "7"]) {
                    assert.ok(!new RegExp(`\\b${shown}\\b`).test(err.message), `${shown}: ${err.message}`);
                }
                return true;
            },
        );
    });

    it("one server name in common is enough to refuse a peer", () => {
        const own = regionEndpoints(config({ ...us }, secretKeys));
        const one = regionEndpoints(config({ ...eu, serverNames: '["irc0.eu.example.org","irc1.us.example.org"]' }, secretKeys));
        assert.match(
            regionProblems(own, [{ stack: "eu", endpoints: one }]).join("\n"),
            /eu has the server name\(s\) irc1\.us\.example\.org, as this stack has/,
        );
    });

    it("two peers that collide with each other are refused too; a stack whose output is not endpoints is named", () => {
        const own = regionEndpoints(config({ ...us }, secretKeys));
        const a = regionEndpoints(config({ ...eu }, secretKeys));
        const b = regionEndpoints(config({ ...eu, serverNamePattern: "irc{n}.asia.example.org" }, secretKeys));
        assert.deepEqual(regionProblems(own, [{ stack: "eu", endpoints: a }]), []);
        assert.match(
            regionProblems(own, [
                { stack: "eu", endpoints: a },
                { stack: "asia", endpoints: b },
            ]).join("\n"),
            /asia has regionNumber 2, as eu has/,
        );
    });

    it("a peer stack's output that is not link endpoints stops the up with its name", async () => {
        await assert.rejects(
            run({ ...us, peers: '["prod-eu"]' }, secretKeys, { otherStacks: { "prod-eu": { linkEndpoints: { hello: 1 } } } }),
            /prod-eu's linkEndpoints output is not a region's link endpoints/,
        );
        // A name that would break a servers file (a comma and a line of its own) never reaches one.
        const evil = {
            regionNumber: 2,
            serverNames: ["a.example.org"],
            sids: ["200"],
            hubs: [{ server: "a.example.org,1,x,0\nb.example.org", port: 6697 }],
        };
        await assert.rejects(
            run({ ...us, peers: '["prod-eu"]' }, secretKeys, { otherStacks: { "prod-eu": { linkEndpoints: evil } } }),
            /is not a region's link endpoints/,
        );
    });

    it("a regionNumber change restarts the daemons (their SIDs change); a peer's new hub only reloads the hubs' files", async () => {
        const a = await run({ ...us }, secretKeys);
        const b = await run({ ...us, regionNumber: "3" }, secretKeys);
        const checksum = (rs: Registered[]) => one(rs, T.statefulSet).inputs.spec.template.metadata.annotations["catbox-gke/restart-checksum"];
        assert.notEqual(checksum(a.resources), checksum(b.resources));
        const euEndpoints = (await run(eu, secretKeys)).outputs.linkEndpoints;
        const c = await run({ ...us, peers: '["prod-eu"]' }, secretKeys, { otherStacks: { "prod-eu": { linkEndpoints: euEndpoints } } });
        assert.equal(checksum(a.resources), checksum(c.resources));
    });

    it("with peers, each hub gets a public endpoint: its own static address, a LoadBalancer reaching only its pod on the TLS port, an A record for its server name", async () => {
        const { resources } = await run({ ...us, replicas: "3", nodeCount: "3", peers: '["prod-eu"]' }, secretKeys);
        const hubServices = byType(resources, T.service).filter((s) => s.name.startsWith("irc-hub-"));
        assert.deepEqual(
            hubServices.map((s) => [
                s.inputs.spec.type,
                s.inputs.spec.selector["statefulset.kubernetes.io/pod-name"],
                s.inputs.spec.ports[0].port,
                s.inputs.spec.ports[0].targetPort,
            ]),
            [
                ["LoadBalancer", "catbox-0", 6697, "ircs"],
                ["LoadBalancer", "catbox-1", 6697, "ircs"],
            ],
        );
        const addresses = byType(resources, T.address).filter((a) => a.name.startsWith("hub-"));
        assert.equal(addresses.length, 2);
        for (const [n, svc] of hubServices.entries()) {
            // Each on its own address, by name (the mock names an address after its resource).
            assert.match(svc.inputs.metadata.annotations["networking.gke.io/load-balancer-ip-addresses"], new RegExp(`^hub-${n}-ip-`));
        }
        const records = byType(resources, T.dnsRecord).filter((r) => r.name.startsWith("hub-"));
        assert.deepEqual(records.map((r) => r.inputs.name).sort(), ["irc0.us.example.org.", "irc1.us.example.org."]);
        // Each watched from Google's checkers by the name the peers dial, with its own alert.
        const hubChecks = byType(resources, T.uptimeCheck).filter((c) => c.name.startsWith("hub-"));
        assert.deepEqual(
            hubChecks.map((c) => [c.inputs.monitoredResource.labels.host, c.inputs.tcpCheck.port]),
            [
                ["irc0.us.example.org", 6697],
                ["irc1.us.example.org", 6697],
            ],
        );
        assert.equal(
            byType(resources, T.alertPolicy).filter((p) => /hub irc\d\.us\.example\.org is unreachable/.test(p.inputs.displayName)).length,
            2,
        );
        // A hub takes up an address a destroyed region kept, by name; the next makes its own.
        const kept = (
            await run({ ...us, replicas: "3", nodeCount: "3", peers: '["prod-eu"]', existingHubAddresses: '["catbox-us-hub-0-kept"]' }, secretKeys)
        ).resources;
        assert.deepEqual(
            byType(kept, T.address)
                .filter((a) => a.name.startsWith("hub-"))
                .map((a) => a.name),
            ["hub-1-ip"],
        );
        const keptServices = byType(kept, T.service).filter((s) => s.name.startsWith("irc-hub-"));
        assert.equal(keptServices[0].inputs.metadata.annotations["networking.gke.io/load-balancer-ip-addresses"], "catbox-us-hub-0-kept");
        // Without peers, none of it.
        const alone = (await run({ ...us, replicas: "3", nodeCount: "3", peers: "", regionNumber: "" }, secretKeys)).resources;
        assert.equal(byType(alone, T.service).filter((s) => s.name.startsWith("irc-hub-")).length, 0);
        assert.equal(byType(alone, T.address).length, 1);
        assert.equal(byType(alone, T.uptimeCheck).length, 1, "the client port's alone");
    });
});

describe("the network's shared name, answered by region", () => {
    it("its health check probes from three distinct Google regions for any pair of regions, both of them among the three", () => {
        const regions = ["us-west1", "us-central1", "us-east1", "europe-west1", "europe-west4", "asia-east1", "asia-southeast1"];
        for (const a of regions) {
            for (const b of regions) {
                const from = checkRegions(a === b ? [a] : [a, b]);
                assert.equal(new Set(from).size, 3, `${a}, ${b}: ${from}`);
                assert.ok(from.includes(a) && from.includes(b), `${a}, ${b}: ${from}`);
            }
        }
    });

    const shared = { sharedHostname: "irc.example.org" };
    it("the owner writes one record with a geolocation policy over every region's client address, each health-checked on the client port", async () => {
        const euRun = await run({ ...eu, ...shared, peers: '["prod-us"]' }, secretKeys);
        assert.deepEqual(euRun.outputs.clientEndpoint, { region: "us-west1", ip: "203.0.113.7" });
        const peerClient = { region: "europe-west1", ip: "198.51.100.9" };
        const { resources } = await run({ ...us, ...shared, sharedNameOwner: "true", peers: '["prod-eu"]' }, secretKeys, {
            otherStacks: { "prod-eu": { linkEndpoints: euRun.outputs.linkEndpoints, clientEndpoint: peerClient } },
        });
        const record = byType(resources, T.dnsRecord).find((r) => r.inputs.name === "irc.example.org.")!;
        assert.ok(record, "no record for the shared name");
        assert.deepEqual(
            record.inputs.routingPolicy.geos.map((g: any) => [g.location, g.healthCheckedTargets.externalEndpoints]),
            [
                ["us-west1", ["203.0.113.7"]],
                ["europe-west1", ["198.51.100.9"]],
            ],
        );
        const check = one(resources, T.healthCheck).inputs;
        assert.deepEqual(check.tcpHealthCheck, { port: 7000 });
        assert.equal(check.sourceRegions.length, 3, "Cloud DNS checks external endpoints from three regions");
        assert.ok(check.sourceRegions.includes("us-west1") && check.sourceRegions.includes("europe-west1"));
        assert.ok(record.inputs.routingPolicy.healthCheck, "the policy names its health check");
        // Resolvers ask again within a minute: a region left out of the answers loses its new clients that soon.
        assert.equal(record.inputs.ttl, 60);
        // Every region's certificate holds the shared name.
        assert.ok(one(resources, T.certificate).inputs.spec.dnsNames.includes("irc.example.org"));
        // Watched from Google's checkers around the world, which the record sends each to its nearest region.
        const sharedCheck = byType(resources, T.uptimeCheck).find((c) => c.name.startsWith("shared-name-"))!;
        assert.deepEqual([sharedCheck.inputs.monitoredResource.labels.host, sharedCheck.inputs.tcpCheck.port], ["irc.example.org", 7000]);
        // A region that does not own it writes no record for it, but its certificate holds it too.
        const other = (await run({ ...eu, ...shared, peers: '["prod-us"]' }, secretKeys)).resources;
        assert.equal(byType(other, T.dnsRecord).filter((r) => r.inputs.name === "irc.example.org.").length, 0);
        assert.equal(byType(other, T.uptimeCheck).filter((c) => c.name.startsWith("shared-name-")).length, 0, "one region watches it");
        assert.ok(one(other, T.certificate).inputs.spec.dnsNames.includes("irc.example.org"));
    });

    it("a shared name outside the zone is refused before anything is created", async () => {
        await assert.rejects(
            run({ ...us, sharedHostname: "irc.elsewhere.net", peers: '["prod-eu"]' }, secretKeys),
            (err: Error & { registered?: Registered[] }) => {
                assert.match(err.message, /catbox-gke:sharedHostname = "irc\.elsewhere\.net": is not inside the Cloud DNS zone/);
                // Nothing but the stack, and the peers' stacks read.
                assert.deepEqual(
                    (err.registered ?? []).filter((r) => !r.read).map((r) => r.type),
                    ["pulumi:pulumi:Stack"],
                );
                return true;
            },
        );
    });
});
