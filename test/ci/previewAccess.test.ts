// CI's preview account in the cluster: reads of the network's own objects, where
// they are, and no write (pulumi-kubernetes previews on the client when a dry run
// is forbidden).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { byType, dependencyClosure, one, run, T } from "../support/helpers";

const preview = "pulumi-preview@my-irc-project.iam.gserviceaccount.com";
const le = { tlsMode: "letsEncrypt", hostname: "irc.example.org", dnsZone: "example-org" };
const rbac = {
    clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    clusterRoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
};

describe("previewServiceAccount", () => {
    it("reads in the network's namespace and cert-manager's, and of its own cluster-scoped objects by name, for that account only", async () => {
        const { resources } = await run({ ...le, namespace: "chat", previewServiceAccount: preview });
        const bindings = [...byType(resources, rbac.roleBinding), ...byType(resources, rbac.clusterRoleBinding)];
        assert.ok(bindings.length >= 3);
        for (const b of bindings) assert.deepEqual(b.inputs.subjects, [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: preview }]);
        // Namespaced reads are bound per namespace, never cluster-wide.
        assert.deepEqual(
            byType(resources, rbac.roleBinding)
                .map((b) => b.inputs.metadata.namespace)
                .sort(),
            ["cert-manager", "chat"],
        );
        const roles = byType(resources, rbac.clusterRole);
        const clusterWide = roles.find((r) => r.inputs.metadata.name.endsWith("-cluster-read"))!;
        for (const rule of clusterWide.inputs.rules) {
            assert.ok(rule.resourceNames?.length > 0, `a cluster-scoped read without names: ${JSON.stringify(rule)}`);
        }
        const names = Object.fromEntries(clusterWide.inputs.rules.map((r: any) => [r.resources[0], r.resourceNames]));
        assert.deepEqual(names.namespaces, ["chat", "cert-manager"]);
        assert.deepEqual(names.clusterissuers, ["catbox-letsencrypt-production"]);
        const issuer = resources.find((r) => r.type === T.clusterIssuer)!;
        assert.equal(issuer.inputs.metadata.name, names.clusterissuers[0]);
        // cert-manager's namespace is the Helm release's to make: its binding waits for it.
        const release = one(resources, T.helmRelease);
        const inCertManager = byType(resources, rbac.roleBinding).find((b) => b.inputs.metadata.namespace === "cert-manager")!;
        assert.ok(dependencyClosure(resources, inCertManager).has(release.urn), "the binding can come before cert-manager's namespace");
    });

    it("reads every namespaced kind the stack itself creates (a refreshed preview, the drift check, reads each of them)", async () => {
        // With every feature on, so that each kind any stack can make is here.
        const { resources } = await run({ ...le, previewServiceAccount: preview, webClient: "true", services: "true" });
        const role = byType(resources, rbac.clusterRole).find((r) => !r.inputs.metadata.name.endsWith("-cluster-read"))!;
        const allowed = new Set(role.inputs.rules.flatMap((r: any) => r.resources.map((res: string) => `${r.apiGroups[0]}/${res}`)));
        const kinds = resources
            .filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.inputs.metadata?.namespace !== undefined && r.type !== T.helmRelease)
            .map((r) => {
                const [, groupVersion, kind] = r.type.split(":");
                const group = groupVersion.includes("/") ? groupVersion.split("/")[0].replace(/^core$/, "") : "";
                const lower = kind.toLowerCase();
                return `${group}/${lower.endsWith("y") ? `${lower.slice(0, -1)}ies` : `${lower}s`}`;
            });
        assert.ok(kinds.length > 5);
        // Its own RoleBindings excepted: reaching RBAC is the one thing it must never do (below).
        for (const k of new Set(kinds.filter((x) => !x.startsWith("rbac.authorization.k8s.io/")))) {
            assert.ok(allowed.has(k), `${k} is not in the preview's read role`);
        }
    });

    it("what a refresh needs: get, list and watch on each of those kinds, get on its namespaces and issuer", async () => {
        const { resources } = await run({ ...le, previewServiceAccount: preview });
        const role = byType(resources, rbac.clusterRole).find((r) => r.inputs.metadata.name.endsWith("-preview-read"))!;
        for (const rule of role.inputs.rules) assert.deepEqual(rule.verbs, ["get", "list", "watch"], JSON.stringify(rule));
        const clusterWide = byType(resources, rbac.clusterRole).find((r) => r.inputs.metadata.name.endsWith("-cluster-read"))!;
        for (const rule of clusterWide.inputs.rules) assert.deepEqual(rule.verbs, ["get"], JSON.stringify(rule));
        assert.ok(
            role.inputs.rules.some((r: any) => r.apiGroups[0] === "" && r.resources.includes("secrets")),
            "Helm's records and the config are Secrets",
        );
    });

    it("no write of any kind (a pull request can never change the cluster), nothing that reaches RBAC, and no wildcard", async () => {
        const { resources } = await run({ ...le, previewServiceAccount: preview });
        for (const role of byType(resources, rbac.clusterRole)) {
            for (const rule of role.inputs.rules) {
                assert.ok(
                    rule.verbs.every((v: string) => ["get", "list", "watch"].includes(v)),
                    JSON.stringify(rule),
                );
                assert.ok(!rule.apiGroups.includes("*") && !rule.resources.includes("*"), JSON.stringify(rule));
                assert.ok(!rule.apiGroups.includes("rbac.authorization.k8s.io"), JSON.stringify(rule));
            }
        }
    });

    it("without the key, or on selfSigned, no cert-manager namespace or issuer is named; without it, no RBAC at all", async () => {
        const plain = await run({ previewServiceAccount: preview });
        assert.deepEqual(
            byType(plain.resources, rbac.roleBinding).map((b) => b.inputs.metadata.namespace),
            ["irc"],
        );
        assert.equal(byType(plain.resources, rbac.clusterRole).find((r) => r.inputs.metadata.name.endsWith("-cluster-read"))!.inputs.rules.length, 1);
        const none = await run(le);
        assert.deepEqual([...byType(none.resources, rbac.clusterRole), ...byType(none.resources, rbac.roleBinding)], []);
    });
});
