// Functions short enough to read at once: none over 80 lines in the program,
// the prober or the harness, measured on the TypeScript compiler's own tree.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";

const root = path.join(__dirname, "..", "..");
const maxLines = 80;

function sources(dir: string): string[] {
    return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
        e.name === "node_modules" ? [] : e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
    );
}

/** Every function, method and constructor longer than `max` lines, as file:line (lines). */
export function longFunctions(file: string, text: string, max: number): string[] {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const long: string[] = [];
    const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && "body" in node && node.body) {
            const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
            const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
            if (end - start + 1 > max) long.push(`${file}:${start + 1} (${end - start + 1} lines)`);
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return long;
}

describe("function size", () => {
    it(`no function over ${maxLines} lines in index.ts, components/, prober/ or harness/`, () => {
        const files = ["index.ts", ...sources("components"), ...sources("prober"), ...sources("harness")];
        assert.deepEqual(
            files.flatMap((f) => longFunctions(f, readFileSync(path.join(root, f), "utf8"), maxLines)),
            [],
        );
    });

    it("the measure finds a long one", () => {
        const body = Array.from({ length: 81 }, (_, i) => `    const a${i} = ${i};`).join("\n");
        assert.deepEqual(longFunctions("x.ts", `function f() {\n${body}\n}\n`, 80), ["x.ts:1 (83 lines)"]);
    });
});
