// The config's words live in keys.ts: Pulumi.yaml's config block and the
// README's tables are written from it, and each key's roll-out kind is what the
// program does when the key changes, on the resources it registers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configTable, withGenerated } from "../../components/config/docs";
import { ConfigKey, configKeys, entryOf, Rollout } from "../../components/config/keys";
import { staleDocs } from "../../scripts/docs";
import { type Registered, run, T } from "../support/helpers";

describe("the config's words, written from keys.ts", () => {
    it("Pulumi.yaml's config block, the README's config table and docs/updating.md's roll-out table are as npm run docs writes them", () => {
        assert.deepEqual(
            staleDocs().map((s) => s.file),
            [],
            "run npm run docs",
        );
    });

    it("a generated part is replaced between its markers only, and missing markers are an error", () => {
        const part = configTable();
        const file = `before\n${part.begin}\nold table\n${part.end}\nafter\n`;
        assert.equal(withGenerated(file, part), `before\n${part.begin}\n${part.text}\n${part.end}\nafter\n`);
        assert.throws(() => withGenerated("no markers", part), /must each appear once/);
        assert.throws(() => withGenerated(`${part.begin}\n${part.begin}\n${part.end}`, part), /must each appear once/);
    });
});

/**
 * A value other than the default for each key the check below changes, beside
 * `base`, which is a stack with a client name and secrets set (so that a change
 * of any of them has something to change).
 */
const base = {
    adminEmail: "ops@irc-operators.net",
    opers: '{"alice":"Alice-oper-pass1"}',
    linkSecret: "a-long-enough-link-secret",
    users: '[{"usermask":"*","hostmask":"*"}]',
    hostname: "irc.example.org",
    dnsZone: "example-org",
};
const secretKeys = ["opers", "linkSecret"];
const changes: Partial<Record<ConfigKey, Record<string, string>>> = {
    motd: { motd: "Welcome" },
    opers: { opers: '{"bob":"Bob-oper-pass22"}' },
    users: { users: '[{"usermask":"a","hostmask":"*"}]' },
    services: { services: "true" },
    bans: { bans: '[{"mask":"*@203.0.113.7","reason":"spam"}]' },
    pingTime: { pingTime: "20s" },
    deadTime: { deadTime: "60s" },
    connectAttemptTime: { connectAttemptTime: "2s" },
    adminEmail: { adminEmail: "irc@irc-operators.net" },
    linkSecret: { linkSecret: "another-long-link-secret" },
    clusterDomain: { clusterDomain: "cluster.example" },
    hostname: { hostname: "chat.example.org" },
    dnsZone: { dnsZone: "other-zone" },
    clientPort: { clientPort: "7001" },
    linkPort: { linkPort: "6668" },
    exposePlaintext: { exposePlaintext: "true" },
    existingAddress: { existingAddress: "kept-ip" },
    maxNickLength: { maxNickLength: "12" },
    serverInfo: { serverInfo: "My IRC" },
    serverNamePattern: { serverNamePattern: "chat{n}.example.org" },
    serverNames: { serverNames: '["a.example.org","b.example.org"]' },
    clientsPerPod: { clientsPerPod: "120" },
    tlsMode: { tlsMode: "letsEncrypt" },
    catboxVersion: { catboxVersion: "0123456789abcdef0123456789abcdef01234567" },
    image: { image: "registry.example.org/catbox:v2" },
    reloaderImage: { reloaderImage: `busybox:1.36.1@sha256:${"b".repeat(64)}` },
    nodeCount: { nodeCount: "3" },
    machineType: { machineType: "e2-medium" },
    spotNodes: { spotNodes: "true" },
    maintenanceDays: { maintenanceDays: "MO,TU,WE" },
    maintenanceStart: { maintenanceStart: "04:00" },
    maintenanceHours: { maintenanceHours: "8" },
    maintenanceExclusions: { maintenanceExclusions: '[{"name":"x","start":"2026-12-23T00:00:00Z","end":"2026-12-27T00:00:00Z"}]' },
    deletionProtection: { deletionProtection: "false" },
    uptimeAlert: { uptimeAlert: "false" },
    alertEmail: { alertEmail: "pager@irc-operators.net" },
    ciServiceAccount: { ciServiceAccount: "pulumi-ci@my-irc-project.iam.gserviceaccount.com" },
    previewServiceAccount: { previewServiceAccount: "pulumi-preview@my-irc-project.iam.gserviceaccount.com" },
    keepAddress: { keepAddress: "false" },
    namespace: { namespace: "chat" },
    networkName: { networkName: "chatnet" },
    region: { region: "europe-west4" },
    clusterLocation: { clusterLocation: "us-west1-b" },
};

/** What a change did, seen on the registered resources: which changed, which came and went. */
function effect(before: Registered[], after: Registered[]) {
    // A resource's inputs and the options a change can touch (keepAddress: retainOnDelete).
    const inputs = (rs: Registered[]) => new Map(rs.map((r) => [r.urn, JSON.stringify([r.inputs, r.retainOnDelete, r.protect, r.ignoreChanges])]));
    const [a, b] = [inputs(before), inputs(after)];
    const changed = after.filter((r) => a.has(r.urn) && a.get(r.urn) !== b.get(r.urn));
    const template = (rs: Registered[]) => JSON.stringify(rs.find((r) => r.type === T.statefulSet)?.inputs.spec.template);
    const named = (type: string, name?: string) => changed.some((r) => r.type === type && (name === undefined || r.name === name));
    return {
        podsRoll: template(before) !== template(after),
        configSecret: named(T.secret, "irc-config"),
        services: named(T.service),
        nodePool: named(T.nodePool),
        cluster: named(T.cluster),
        namespaceOrCluster:
            changed.some(
                (r) =>
                    r.type === T.namespace &&
                    JSON.stringify(r.inputs.metadata) !== JSON.stringify(before.find((x) => x.urn === r.urn)!.inputs.metadata),
            ) ||
            changed.some(
                (r) =>
                    r.type === T.cluster &&
                    (r.inputs.name !== before.find((x) => x.urn === r.urn)!.inputs.name ||
                        r.inputs.location !== before.find((x) => x.urn === r.urn)!.inputs.location),
            ),
        touched: changed.length + after.filter((r) => !a.has(r.urn)).length + before.filter((r) => !b.has(r.urn)).length,
    };
}

/** What each kind must show, and must not. */
const holds: Record<Rollout, (e: ReturnType<typeof effect>) => boolean> = {
    reload: (e) => e.configSecret && !e.podsRoll && !e.nodePool && !e.cluster,
    names: (e) => !e.podsRoll && !e.nodePool && !e.cluster && e.touched > 0,
    services: (e) => !e.podsRoll && !e.nodePool && !e.cluster && (e.services || e.touched > 0),
    restart: (e) => e.podsRoll && !e.nodePool && !e.namespaceOrCluster,
    image: (e) => e.podsRoll && !e.nodePool && !e.namespaceOrCluster,
    replicas: () => true,
    nodes: (e) => e.nodePool && !e.podsRoll && !e.cluster,
    cluster: (e) => e.cluster && !e.podsRoll && !e.nodePool && !e.namespaceOrCluster,
    beside: (e) => !e.podsRoll && !e.configSecret && !e.nodePool && !e.cluster && e.touched > 0,
    replace: (e) => e.namespaceOrCluster,
};

describe("each key's roll-out kind is what a change of it does", () => {
    it("has a change to try for every key whose kind can be seen from one stack's resources", () => {
        const untried = configKeys.filter((k) => changes[k] === undefined);
        // Keys that need another platform, a peer region or a certificate to change, or whose kind is told by text alone.
        assert.deepEqual(
            untried.sort(),
            [
                "acmeEmail",
                "acmeServer",
                "clientServiceType",
                "existingHubAddresses",
                "hubs",
                "kubeContext",
                "kubeconfig",
                "peers",
                "platform",
                "proberImage",
                "regionNumber",
                "replicas",
                "sharedHostname",
                "sharedNameOwner",
                "tlsCertificate",
                "tlsKey",
                // Tried below, on a letsEncrypt stack (the web client needs a certificate browsers trust).
                "webClient",
                "webHostname",
                // Platform kubeconfig's.
                "webImage",
                "webReverseProxy",
                "servicesImage",
                // Tried below, on a stack with services.
                "servicesName",
                "servicesExpireDays",
                "keepServicesBackup",
            ].sort(),
        );
    });

    it("the services' keys, on a stack with services: each what its kind says", async () => {
        const on = { ...base, services: "true" };
        const before = (await run(on, secretKeys)).resources;
        const wrong: string[] = [];
        for (const [key, value] of [
            ["servicesName", "nickserv.example.org"],
            ["servicesExpireDays", "30"],
            ["keepServicesBackup", "false"],
        ] as const) {
            const seen = effect(before, (await run({ ...on, [key]: value }, secretKeys)).resources);
            if (!holds[entryOf(key).rollout](seen)) wrong.push(`${key}: ${JSON.stringify(seen)}`);
        }
        assert.deepEqual(wrong, []);
    });

    it("the web client's keys, on a letsEncrypt stack: turning it on touches only what stands beside the network, its name only names", async () => {
        const le = { ...base, tlsMode: "letsEncrypt" };
        const off = (await run(le, secretKeys)).resources;
        const on = (await run({ ...le, webClient: "true" }, secretKeys)).resources;
        const renamed = (await run({ ...le, webClient: "true", webHostname: "chat.example.org" }, secretKeys)).resources;
        assert.ok(holds[entryOf("webClient").rollout](effect(off, on)), JSON.stringify(effect(off, on)));
        assert.ok(holds[entryOf("webHostname").rollout](effect(on, renamed)), JSON.stringify(effect(on, renamed)));
    });

    it(
        "reload changes only the Secret; restart and image roll the pods; nodes, cluster and replace touch what they say",
        { timeout: 120_000 },
        async () => {
            const before = (await run(base, secretKeys)).resources;
            const wrong: string[] = [];
            for (const [key, values] of Object.entries(changes) as [ConfigKey, Record<string, string>][]) {
                const after = (await run({ ...base, ...values }, secretKeys)).resources;
                const kind = entryOf(key).rollout;
                const seen = effect(before, after);
                if (!holds[kind](seen)) wrong.push(`${key} (${kind}): ${JSON.stringify(seen)}`);
            }
            assert.deepEqual(wrong, []);
        },
    );
});
