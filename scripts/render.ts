// `npm run render -- <stack> [--show-secrets] [--out <dir>]`: what `pulumi up` of
// that stack would create, offline, written to out/<stack>/ (or <dir>) for reviewers:
//   resources.txt      every resource: type, name, and what is notable about it
//   manifests/*.yaml   every Kubernetes object, as the provider would apply it
//   catbox/*           every file of every daemon (the Secret's contents)
//   outputs.json       the stack outputs
// A stack with peers (regions) reads them from their stack files here, if any.
// Secrets are masked unless --show-secrets; `secure:` values become labelled
// placeholders (harness/offline/stack.ts). Bad config: the config error and exit code 1.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { OfflineRun, Registered, runOffline } from "../harness/offline/engine";
import { resourceTypes } from "../harness/offline/resourceTypes";
import { configSecret, readStackFile } from "../harness/offline/stack";

const root = path.join(__dirname, "..");
const masked = "********";

/** `kubernetes:apps/v1:StatefulSet` -> the object as applied (inputs carry apiVersion and kind). */
export function manifestOf(r: Registered, showSecrets: boolean): Record<string, any> {
    const m = structuredClone(r.inputs);
    if (!showSecrets && r.type === resourceTypes.secret) {
        for (const field of ["stringData", "data"]) {
            if (m[field]) m[field] = Object.fromEntries(Object.keys(m[field]).map((k) => [k, masked]));
        }
    }
    return m;
}

/** Hide the secret parts of catbox's files: passwords and the key. */
function maskCatboxFile(name: string, text: string): string {
    if (name === "key.pem") return `${masked} (private key; --show-secrets to see it)\n`;
    if (name === "opers.conf") return text.replace(/^([^#\n][^=\n]*= ).*$/gm, `$1${masked}`);
    if (/^servers-\d+\.conf$/.test(name)) return text.replace(/^([^#\n][^=\n]*= [^,\n]*,[^,\n]*,)[^,\n]*(,[01])$/gm, `$1${masked}$2`);
    return text;
}

const helmRelease = resourceTypes.helmRelease;

/** Stable order for files and rows, whatever order the engine finished registering in. */
const compare = (a: string[], b: string[]) => a.join("\0").localeCompare(b.join("\0"));
const kindOrder = [
    "Namespace",
    "ConfigMap",
    "Secret",
    "Service",
    "StatefulSet",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "ClusterIssuer",
    "Certificate",
    "Deployment",
    "PodMonitoring",
];
const manifestKey = (m: Record<string, any>) => [String(kindOrder.indexOf(m.kind)).padStart(2, "0"), m.metadata.name];

function resourceTable(run: OfflineRun): string {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const rows = run.resources
        .map((r) => {
            const notes: string[] = [];
            if (r.protect) notes.push("protected");
            if (r.retainOnDelete) notes.push("kept on destroy");
            if (r.secretInputs.length) notes.push(`secret: ${r.secretInputs.join(", ")}`);
            const parent = byUrn.get(r.parent);
            return [r.type, r.name, parent && parent.type !== "pulumi:pulumi:Stack" ? parent.name : "", notes.join("; ")];
        })
        .sort((a, b) => compare([a[2], a[0], a[1]], [b[2], b[0], b[1]]));
    const head = ["TYPE", "NAME", "PARENT", "NOTES"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    const fmt = (row: string[]) =>
        row
            .map((c, i) => c.padEnd(widths[i]))
            .join("  ")
            .trimEnd();
    return [fmt(head), ...rows.map(fmt)].join("\n") + `\n\n${run.resources.length} resources\n`;
}

/**
 * The peer regions' link endpoints as their own stack files here would export
 * them (a peer `org/project/prod-eu` is Pulumi.prod-eu.yaml), rendered as
 * before its own peers' first up (named, with no endpoints yet); a peer with no
 * file here has none, as before its first up.
 */
async function localPeers(config: Record<string, string>): Promise<Record<string, Record<string, unknown>>> {
    const others: Record<string, Record<string, unknown>> = {};
    for (const peer of JSON.parse(config["catbox-gke:peers"] ?? "[]") as string[]) {
        const local = peer.split("/").pop()!;
        if (!existsSync(path.join(root, `Pulumi.${local}.yaml`))) continue;
        const file = readStackFile(local);
        const run = await runOffline({ config: file.config, secretKeys: file.secretKeys, stack: local });
        others[peer] = { linkEndpoints: run.outputs.linkEndpoints };
    }
    return others;
}

/** A stack file's offline run, its peers read from their own stack files here. */
export async function runStack(stack: string): Promise<OfflineRun> {
    const { config, secretKeys } = readStackFile(stack);
    return runOffline({ config, secretKeys, stack, otherStacks: await localPeers(config) });
}

export async function render(stack: string, opts: { showSecrets: boolean; outDir?: string }): Promise<string> {
    const { placeholders } = readStackFile(stack);
    const run = await runStack(stack);
    const out = opts.outDir ?? path.join(root, "out", stack);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(path.join(out, "manifests"), { recursive: true });
    mkdirSync(path.join(out, "catbox"), { recursive: true });

    writeFileSync(path.join(out, "resources.txt"), resourceTable(run));

    const k8s = run.resources
        .filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.type !== helmRelease)
        .map((r) => manifestOf(r, opts.showSecrets))
        .sort((a, b) => compare(manifestKey(a), manifestKey(b)));
    k8s.forEach((m, i) => {
        const file = `${String(i + 1).padStart(2, "0")}-${m.kind.toLowerCase()}-${m.metadata.name}.yaml`;
        writeFileSync(path.join(out, "manifests", file), stringify(m, { lineWidth: 0 }));
    });
    // A Helm release is no object of its own: what it installs, from where, with which values.
    for (const r of run.resources.filter((x) => x.type === helmRelease)) {
        writeFileSync(path.join(out, "manifests", `helm-release-${r.inputs.name}.yaml`), stringify(r.inputs, { lineWidth: 0 }));
    }

    const secret = configSecret(run);
    for (const [name, text] of Object.entries<string>(secret?.inputs.stringData ?? {})) {
        writeFileSync(path.join(out, "catbox", name), opts.showSecrets ? text : maskCatboxFile(name, text));
    }

    const outputs = Object.fromEntries(
        Object.entries(run.outputs).map(([k, v]) => [k, !opts.showSecrets && run.secretOutputs.includes(k) ? masked : v]),
    );
    writeFileSync(path.join(out, "outputs.json"), JSON.stringify(outputs, null, 2) + "\n");

    const notes = placeholders.length
        ? `\n  placeholders for what cannot be used here (secure values, the stand-in gcp:project): ${placeholders.join(", ")}`
        : "";
    return `${stack}: ${run.resources.length} resources, ${k8s.length} Kubernetes objects -> ${path.relative(process.cwd(), out)}${notes}`;
}

/** `<stack> [--show-secrets] [--out <dir>]`, in any order; undefined where that is not what was given. */
export function renderArgs(args: string[]): { stack: string; showSecrets: boolean; outDir?: string } | undefined {
    const rest = [...args];
    const outAt = rest.indexOf("--out");
    let outDir: string | undefined;
    if (outAt >= 0) {
        outDir = rest[outAt + 1];
        if (outDir === undefined || outDir.startsWith("--")) return undefined;
        rest.splice(outAt, 2);
    }
    const showSecrets = rest.includes("--show-secrets");
    const words = rest.filter((a) => a !== "--show-secrets");
    if (words.length !== 1 || words[0].startsWith("--")) return undefined;
    return { stack: words[0], showSecrets, ...(outDir !== undefined && { outDir }) };
}

if (require.main === module) {
    const args = renderArgs(process.argv.slice(2));
    if (!args) {
        console.error("usage: npm run render -- <stack> [--show-secrets] [--out <dir>]");
        process.exit(2);
    }
    render(args.stack, { showSecrets: args.showSecrets, outDir: args.outDir && path.resolve(args.outDir) }).then(
        (summary) => console.log(summary),
        (err) => {
            // Bad config is a RunError: its message, no stack trace.
            console.error(pulumi.RunError.isInstance(err) ? `error: ${err.message}` : err);
            process.exit(1);
        },
    );
}
