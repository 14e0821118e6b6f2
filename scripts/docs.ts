// npm run docs: write Pulumi.yaml's config block and the README's config and
// roll-out tables (README.md, docs/updating.md) from components/config/keys.ts. With --check, write nothing
// and exit 1 naming each file that differs (the tests run the same check).
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { generatedParts, withGenerated } from "../components/config/docs";

const root = path.join(__dirname, "..");

/** Each file whose generated parts differ from keys.ts, and its text as it should be. */
export function staleDocs(): { file: string; expected: string }[] {
    return Object.entries(generatedParts).flatMap(([file, parts]) => {
        const current = readFileSync(path.join(root, file), "utf8");
        const expected = parts().reduce(withGenerated, current);
        return expected === current ? [] : [{ file, expected }];
    });
}

if (require.main === module) {
    const check = process.argv.includes("--check");
    const stale = staleDocs();
    for (const { file, expected } of stale) {
        if (check) console.error(`${file} differs from components/config/keys.ts: run npm run docs`);
        else writeFileSync(path.join(root, file), expected);
    }
    if (check && stale.length > 0) process.exit(1);
    if (!check) console.log(stale.length === 0 ? "docs: up to date" : `docs: wrote ${stale.map((s) => s.file).join(", ")}`);
}
