// `npm run render -- <stack> [--show-secrets]`: what `pulumi up` of that stack
// would create, offline, written to out/<stack>/ for reviewers:
//   resources.txt      every resource: type, name, and what is notable about it
//   manifests/*.yaml   every Kubernetes object, as the provider would apply it
//   catbox/*           every file of every daemon (the Secret's contents)
//   outputs.json       the stack outputs
// Secrets are masked unless --show-secrets. `secure:` values in the stack file
// cannot be decrypted here; they become labelled placeholders (and a committed
// throwaway pair for TLS). Bad config: the config error and exit code 1.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify, YAMLError } from "yaml";
import { placeholderProject, project } from "../components/config";
import { OfflineRun, placeholderTls, Registered, runOffline } from "./offline";

const root = path.join(__dirname, "..");
const masked = "********";

/** A value that stands for a `secure:` one: valid for its key, and says what it is. */
function placeholderFor(key: string): string {
    switch (key) {
        case `${project}:tlsCertificate`: return placeholderTls.certificatePem;
        case `${project}:tlsKey`: return placeholderTls.keyPem;
        case `${project}:opers`: return JSON.stringify({ "placeholder-oper": "placeholderSecureValueNotDecrypted" });
        case `${project}:kubeconfig`: return "apiVersion: v1\nkind: Config\n# placeholder: secure value not decrypted\n";
        default: return `placeholder-secure-value-not-decrypted-${key.replace(/\W/g, "-")}`;
    }
}

/** Stack config as the Pulumi CLI would pass it: project defaults, then the stack file; every value a string. */
export function readStackFile(stack: string, dir = root): { config: Record<string, string>; secretKeys: string[]; placeholders: string[] } {
    const projectFile = parse(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
    const stackPath = path.join(dir, `Pulumi.${stack}.yaml`);
    const shownPath = path.relative(process.cwd(), stackPath);
    if (!existsSync(stackPath)) throw new pulumi.RunError(`no stack file ${shownPath} for stack ${stack}`);
    let stackFile: any;
    try {
        stackFile = parse(readFileSync(stackPath, "utf8")) ?? {};
    } catch (e) {
        if (!(e instanceof YAMLError)) throw e;
        const at = e.linePos ? `:${e.linePos[0].line}:${e.linePos[0].col}` : "";
        throw new pulumi.RunError(`${shownPath}${at}: not valid YAML: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`);
    }
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const placeholders: string[] = [];
    // `key:` with no value is empty, which the config check takes as unset.
    const asString = (v: unknown) => (typeof v === "string" ? v : v === null ? "" : JSON.stringify(v));
    for (const [key, decl] of Object.entries<any>(projectFile.config ?? {})) {
        const full = key.includes(":") ? key : `${project}:${key}`;
        if (decl && typeof decl === "object" && "default" in decl) config[full] = asString(decl.default);
    }
    for (const [key, value] of Object.entries<any>(stackFile.config ?? {})) {
        if (key === "gcp:project" && value === placeholderProject) {
            // The committed prod stack's stand-in, which `pulumi up` refuses: render with another.
            config[key] = "example-irc-project";
            placeholders.push(key);
        } else if (value && typeof value === "object" && typeof value.secure === "string") {
            config[key] = placeholderFor(key);
            secretKeys.push(key);
            placeholders.push(key);
        } else {
            config[key] = asString(value);
        }
    }
    return { config, secretKeys, placeholders };
}

/** `kubernetes:apps/v1:StatefulSet` -> the object as applied (inputs carry apiVersion and kind). */
export function manifestOf(r: Registered, showSecrets: boolean): Record<string, any> {
    const m = structuredClone(r.inputs);
    if (!showSecrets && r.type === "kubernetes:core/v1:Secret") {
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

const helmRelease = "kubernetes:helm.sh/v3:Release";

/** The Secret with every daemon's files (not the issued certificate's, with letsEncrypt). */
function configSecret(run: OfflineRun): Registered | undefined {
    return run.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name.endsWith("-config"));
}

/** Stable order for files and rows, whatever order the engine finished registering in. */
const compare = (a: string[], b: string[]) => a.join("\0").localeCompare(b.join("\0"));
const kindOrder = ["Namespace", "ConfigMap", "Secret", "Service", "StatefulSet", "PodDisruptionBudget", "NetworkPolicy", "ClusterIssuer", "Certificate"];
const manifestKey = (m: Record<string, any>) => [String(kindOrder.indexOf(m.kind)).padStart(2, "0"), m.metadata.name];

function resourceTable(run: OfflineRun): string {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const rows = run.resources.map((r) => {
        const notes: string[] = [];
        if (r.protect) notes.push("protected");
        if (r.retainOnDelete) notes.push("kept on destroy");
        if (r.secretInputs.length) notes.push(`secret: ${r.secretInputs.join(", ")}`);
        const parent = byUrn.get(r.parent);
        return [r.type, r.name, parent && parent.type !== "pulumi:pulumi:Stack" ? parent.name : "", notes.join("; ")];
    }).sort((a, b) => compare([a[2], a[0], a[1]], [b[2], b[0], b[1]]));
    const head = ["TYPE", "NAME", "PARENT", "NOTES"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    const fmt = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
    return [fmt(head), ...rows.map(fmt)].join("\n") + `\n\n${run.resources.length} resources\n`;
}

/**
 * The Secret's files of a stack as `pulumi up` would deploy them, with some
 * `catbox-gke:` keys set over the stack file's (secret ones named in `secretKeys`).
 */
export async function renderCatboxFiles(stack: string, values: Record<string, string> = {}, secretKeys: string[] = []): Promise<Record<string, string>> {
    const file = readStackFile(stack);
    const config = { ...file.config };
    for (const [k, v] of Object.entries(values)) config[`${project}:${k}`] = v;
    const secrets = [...file.secretKeys, ...secretKeys.map((k) => `${project}:${k}`)];
    const run = await runOffline({ config, secretKeys: secrets, stack });
    const secret = configSecret(run);
    if (!secret) throw new Error(`stack ${stack} registers no config Secret`);
    return secret.inputs.stringData;
}

export async function render(stack: string, opts: { showSecrets: boolean; outDir?: string }): Promise<string> {
    const { config, secretKeys, placeholders } = readStackFile(stack);
    const run = await runOffline({ config, secretKeys, stack });
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

    const outputs = Object.fromEntries(Object.entries(run.outputs).map(([k, v]) =>
        [k, !opts.showSecrets && run.secretOutputs.includes(k) ? masked : v]));
    writeFileSync(path.join(out, "outputs.json"), JSON.stringify(outputs, null, 2) + "\n");

    const notes = placeholders.length ? `\n  placeholders for what cannot be used here (secure values, the stand-in gcp:project): ${placeholders.join(", ")}` : "";
    return `${stack}: ${run.resources.length} resources, ${k8s.length} Kubernetes objects -> ${path.relative(process.cwd(), out)}${notes}`;
}

if (require.main === module) {
    const args = process.argv.slice(2);
    const stack = args.find((a) => !a.startsWith("--"));
    if (!stack) {
        console.error("usage: npm run render -- <stack> [--show-secrets]");
        process.exit(2);
    }
    render(stack, { showSecrets: args.includes("--show-secrets") }).then(
        (summary) => console.log(summary),
        (err) => {
            // Bad config is a RunError: its message, no stack trace.
            console.error(pulumi.RunError.isInstance(err) ? `error: ${err.message}` : err);
            process.exit(1);
        },
    );
}
