// The program's layers point one way: index.ts over the components, the
// components over the pure folders (config/ over catbox/), and catbox/ over
// nothing of the stack. Read from the sources' own import lines.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

const root = path.join(__dirname, "..", "..");

/** Every program source, relative to the root: index.ts and components/**.ts. */
function sources(): string[] {
    const walk = (dir: string): string[] =>
        readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
            e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
        );
    return ["index.ts", ...walk("components")];
}

/** A source's imports: project files (relative to the root) and packages, type-only ones too. */
function importsOf(file: string): { local: string[]; packages: string[] } {
    const text = readFileSync(path.join(root, file), "utf8");
    const specs = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)";/gms)].map((m) => m[1]);
    return {
        local: specs.filter((s) => s.startsWith(".")).map((s) => path.join(path.dirname(file), s) + ".ts"),
        packages: specs.filter((s) => !s.startsWith(".")),
    };
}

/** The first import cycle found, as the files around it; none when there is none. */
export function firstCycle(graph: Map<string, string[]>): string[] | undefined {
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (f: string): string[] | undefined => {
        if (state.get(f) === "done") return undefined;
        if (state.get(f) === "open") return [...stack.slice(stack.indexOf(f)), f];
        state.set(f, "open");
        stack.push(f);
        for (const g of graph.get(f) ?? []) {
            const cycle = visit(g);
            if (cycle) return cycle;
        }
        stack.pop();
        state.set(f, "done");
        return undefined;
    };
    for (const f of graph.keys()) {
        const cycle = visit(f);
        if (cycle) return cycle;
    }
    return undefined;
}

describe("the program's layers", () => {
    const graph = new Map(sources().map((f) => [f, importsOf(f).local]));

    it("no import cycle anywhere, type-only imports included", () => {
        assert.equal(firstCycle(graph)?.join(" -> "), undefined);
    });

    it("the cycle check finds one", () => {
        assert.deepEqual(
            firstCycle(
                new Map([
                    ["a", ["b"]],
                    ["b", ["c"]],
                    ["c", ["a"]],
                ]),
            ),
            ["a", "b", "c", "a"],
        );
    });

    it("catbox/ renders from its own terms: no stack config, no Pulumi, nothing outside catbox/ but Node and the pure ban list", () => {
        for (const file of sources().filter((f) => f.startsWith("components/catbox/") || f.startsWith("components/bans/"))) {
            const { local, packages } = importsOf(file);
            assert.deepEqual(
                local.filter(
                    (l) => !l.startsWith("components/catbox/") && !(file.startsWith("components/catbox/") && l.startsWith("components/bans/")),
                ),
                [],
                file,
            );
            assert.deepEqual(
                packages.filter((p) => !p.startsWith("node:")),
                [],
                file,
            );
        }
    });

    it("config/ is pure too (but for runtime.ts, which asks the runtime), and reaches no component with resources", () => {
        for (const file of sources().filter((f) => f.startsWith("components/config/"))) {
            const { local, packages } = importsOf(file);
            if (!file.endsWith("runtime.ts")) assert.ok(!packages.some((p) => p.startsWith("@pulumi/")), file);
            assert.deepEqual(
                local.filter((l) => !l.startsWith("components/config/") && !l.startsWith("components/catbox/") && !l.startsWith("components/bans/")),
                [],
                file,
            );
        }
    });
});
