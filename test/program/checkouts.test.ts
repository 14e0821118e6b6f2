// The same config gives the same inputs from any checkout on any machine: a
// second `pulumi up` from another directory (a laptop, then CI), by another user,
// at another time, changes nothing. Two copies of the project at different paths
// run the program offline in processes of their own, with different users and
// home directories, and every input of every resource must match.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";

const root = path.join(__dirname, "..", "..");
const work = mkdtempSync(path.join(tmpdir(), "catbox-checkouts-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the project at `dir`, sharing node_modules. */
function checkout(dir: string): string {
    cpSync(root, dir, { recursive: true, filter: (src) => !/[\\/](node_modules|out|\.git)$/.test(src) });
    symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
    return dir;
}

/** Every resource's inputs for `stack`, as that checkout registers them, run as `user`. */
function inputsFrom(dir: string, stack: string, user: string): Record<string, unknown> {
    const script = `
        const { readStackFile } = require("./harness/offline/stack.ts");
        const { runOffline } = require("./harness/offline/engine.ts");
        const { config, secretKeys } = readStackFile(${JSON.stringify(stack)});
        runOffline({ config, secretKeys, stack: ${JSON.stringify(stack)} }).then((run) => {
            const inputs = Object.fromEntries(run.resources.map((r) => [r.urn, { inputs: r.inputs, secret: r.secretInputs }]));
            process.stdout.write(JSON.stringify({ inputs, outputs: run.outputs }));
        });`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
        cwd: dir,
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, USER: user, LOGNAME: user, HOME: path.join(work, `home-${user}`) },
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
}

describe("the same config from two checkouts", () => {
    const first = checkout(path.join(work, "a"));
    const second = checkout(path.join(work, "somewhere", "else", "catbox-gke-ci"));

    for (const stack of ["prod", "dev"]) {
        it(`${stack}: every input of every resource (the images' build included) is the same, and names no checkout or user`, () => {
            const a = inputsFrom(first, stack, "alice");
            const b = inputsFrom(second, stack, "runner");
            assert.deepEqual(b, a);
            const text = JSON.stringify(a);
            for (const local of [first, second, root, work, "alice"]) assert.ok(!text.includes(local), `an input holds ${local}`);
        });
    }
});
