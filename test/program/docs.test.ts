// The README and docs/ as an operator follows them: every relative link leads
// to a file that exists and, where it names a section, to that section.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

const root = path.join(__dirname, "..", "..");
const docs = ["README.md", ...readdirSync(path.join(root, "docs")).map((f) => path.join("docs", f))];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'. */
const slug = (heading: string) =>
    heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\- _]/gu, "")
        .replace(/ /g, "-");

/** A Markdown file's section anchors (headings outside code blocks). */
function anchors(file: string): Set<string> {
    const text = readFileSync(path.join(root, file), "utf8").replace(/```[^]*?```/g, "");
    return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

describe("the README and docs/", () => {
    it("every relative link leads to a file that exists, and to a section it has", () => {
        const broken: string[] = [];
        for (const doc of docs) {
            const text = readFileSync(path.join(root, doc), "utf8").replace(/```[^]*?```/g, "");
            for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
                if (/^(https?:|mailto:)/.test(target)) continue;
                const [file, anchor] = target.split("#");
                const resolved = file === "" ? doc : path.normalize(path.join(path.dirname(doc), file));
                if (!existsSync(path.join(root, resolved))) broken.push(`${doc}: ${target} (no such file)`);
                else if (anchor && resolved.endsWith(".md") && !anchors(resolved).has(anchor)) broken.push(`${doc}: ${target} (no such section)`);
            }
        }
        assert.deepEqual(broken, []);
    });

    it("the README is an operator's: a contents list, and no longer than about 350 lines; the rest is in docs/", () => {
        const readme = readFileSync(path.join(root, "README.md"), "utf8");
        assert.match(readme, /^\*\*Contents:\*\*/m);
        assert.ok(readme.split("\n").length <= 350, `${readme.split("\n").length} lines`);
        for (const doc of docs.filter((d) => d !== "README.md")) assert.ok(readme.includes(`(${doc})`), `the README does not link ${doc}`);
    });
});
