// The platforms as components: index.ts picks one and never asks which; a stack
// made before they were components (its resources at the stack's root) keeps
// every resource, each taken over through the aliases the engine resolves.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { engineUrn, takeOver } from "../../harness/offline/aliases";
import type { Registered } from "../../harness/offline/recorder";
import { runStack } from "../../scripts/render";

/** Every committed stack's URNs as the program made them before the platforms were components (made by the program at 9ca0957, the last commit before them). */
const before: Record<string, string[]> = JSON.parse(
    readFileSync(path.join(__dirname, "..", "support", "fixtures", "urns-before-platform.json"), "utf8"),
);

describe("an existing stack, after the platforms became components", () => {
    for (const stack of Object.keys(before)) {
        it(`${stack}: every resource it holds is taken over by one resource, through aliases; only the platform is new`, async () => {
            const now = (await runStack(stack)).resources.filter((r) => !r.read);
            const taken = takeOver(now, new Set(before[stack]));
            const olds = [...taken.values()].filter((u): u is string => u !== undefined);
            assert.deepEqual([...olds].sort(), before[stack].map(engineUrn).sort(), "each old resource once, none left to delete");
            const created = now.filter((r) => taken.get(r.urn) === undefined).map((r) => r.type);
            assert.deepEqual(created, [stack === "dev" ? "catbox-gke:index:ExistingClusterPlatform" : "catbox-gke:index:GkePlatform"]);
        });
    }

    it("the engine's rules as ported: a child is found through the alias its parent was found by, and not without it", () => {
        const stack = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s";
        const r = (urn: string, parent: string, aliases: unknown[] = []) =>
            ({ urn, parent, aliases, type: urn.split("::")[2].split("$").pop()!, name: urn.split("::")[3] }) as Registered;
        const component = r("urn:pulumi:s::p::x:index:Platform::platform", stack);
        const moved = (aliases: unknown[]) => r("urn:pulumi:s::p::x:index:Platform$x:index:Cluster::gke", component.urn, aliases);
        const child = r("urn:pulumi:s::p::x:index:Platform$x:index:Cluster$gcp:Cluster::gke-cluster", moved([]).urn);
        const olds = new Set(["urn:pulumi:s::p::x:index:Cluster::gke", "urn:pulumi:s::p::x:index:Cluster$gcp:Cluster::gke-cluster"]);
        const withAlias = takeOver([component, moved([{ spec: { noparent: true } }]), child], olds);
        assert.deepEqual([...withAlias.values()], [undefined, ...olds]);
        const without = takeOver([component, moved([]), child], olds);
        assert.deepEqual([...without.values()], [undefined, undefined, undefined]);
    });
});
