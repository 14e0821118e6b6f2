// A stack's config as the Pulumi CLI would hand it to the program: the project's
// defaults from Pulumi.yaml, then the stack file, every value a string. `secure:`
// values cannot be decrypted here; they become labelled placeholders (and a
// committed throwaway pair for TLS). Used by `npm run render`, the benchmarks
// and the tests.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Document, isMap, isNode, isScalar, parse, parseDocument, Scalar, YAMLError } from "yaml";
import { placeholderProject, project } from "../../components/config/keys";
import { OfflineRun, placeholderTls, Registered, runOffline } from "./engine";
import { resourceTypes } from "./resourceTypes";

const root = path.join(__dirname, "..", "..");

/** A value that stands for a `secure:` one: valid for its key, and says what it is. */
function placeholderFor(key: string): string {
    switch (key) {
        case `${project}:tlsCertificate`:
            return placeholderTls.certificatePem;
        case `${project}:tlsKey`:
            return placeholderTls.keyPem;
        case `${project}:opers`:
            return JSON.stringify({ "placeholder-oper": "placeholderSecureValueNotDecrypted" });
        case `${project}:kubeconfig`:
            return "apiVersion: v1\nkind: Config\n# placeholder: secure value not decrypted\n";
        default:
            return `placeholder-secure-value-not-decrypted-${key.replace(/\W/g, "-")}`;
    }
}

/**
 * Stack config as the Pulumi CLI would pass it: project defaults, then the stack
 * file; every value a string. As the CLI does, it takes a top-level scalar as its
 * text (`0x10` stays "0x10"), an object or list as JSON, and refuses a plain value
 * for a key Pulumi.yaml declares secret; every error is one line.
 */
export function readStackFile(stack: string, dir = root): { config: Record<string, string>; secretKeys: string[]; placeholders: string[] } {
    const projectFile = parse(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
    const declared: Record<string, { default?: unknown; secret?: boolean }> = projectFile.config ?? {};
    const stackPath = path.join(dir, `Pulumi.${stack}.yaml`);
    const shownPath = path.relative(process.cwd(), stackPath);
    if (!existsSync(stackPath)) throw new pulumi.RunError(`no stack file ${shownPath} for stack ${stack}`);
    const fail = (at: string, message: string) => new pulumi.RunError(`${shownPath}${at}: ${message}`);
    let document: Document.Parsed;
    try {
        // Few aliases: a stack file has no use for them, and a "billion laughs" file has thousands.
        document = parseDocument(readFileSync(stackPath, "utf8"), { uniqueKeys: true });
        const problem = document.errors[0];
        if (problem) throw problem;
        document.toJS({ maxAliasCount: 16 });
    } catch (e) {
        if (e instanceof YAMLError) {
            const at = e.linePos ? `:${e.linePos[0].line}:${e.linePos[0].col}` : "";
            throw fail(at, `not valid YAML: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`);
        }
        throw fail("", `not a stack file Pulumi can read: ${(e as Error).message.split("\n")[0]}`);
    }
    const contents = document.contents;
    const configNode = isMap(contents) ? contents.get("config", true) : contents === null ? undefined : contents;
    if (configNode !== undefined && configNode !== null && !isMap(configNode)) {
        throw fail("", "config: must be a map of keys to values");
    }
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const placeholders: string[] = [];
    // `key:` with no value is empty, which the config check takes as unset.
    const asString = (v: unknown) => (typeof v === "string" ? v : v === null || v === undefined ? "" : JSON.stringify(v));
    for (const [key, decl] of Object.entries(declared)) {
        const full = key.includes(":") ? key : `${project}:${key}`;
        if (decl && typeof decl === "object" && "default" in decl) config[full] = asString(decl.default);
    }
    for (const pair of isMap(configNode) ? configNode.items : []) {
        const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
        const node = pair.value;
        const value = isScalar(node) ? scalarText(node) : isNode(node) ? node.toJSON() : node;
        const declaredSecret = key.startsWith(`${project}:`) && declared[key.slice(project.length + 1)]?.secret === true;
        if (key === "gcp:project" && value === placeholderProject) {
            // The committed prod stack's stand-in, which `pulumi up` refuses: render with another.
            config[key] = "example-irc-project";
            placeholders.push(key);
        } else if (value && typeof value === "object" && typeof (value as { secure?: unknown }).secure === "string") {
            config[key] = placeholderFor(key);
            secretKeys.push(key);
            placeholders.push(key);
        } else if (declaredSecret && asString(value) !== "") {
            throw fail("", `${key} is in plain text, but Pulumi.yaml declares it secret: set it with \`pulumi config set --secret ${key} …\``);
        } else {
            config[key] = asString(value);
        }
    }
    return { config, secretKeys, placeholders };
}

/** A scalar as the CLI passes it: the text as written for a plain or tagged one, the string itself for a quoted one. */
function scalarText(node: Scalar): string {
    if (node.value === null) return "";
    if (node.type === Scalar.PLAIN || node.tag) return String(node.source ?? node.value);
    return String(node.value);
}

/** The Secret with every daemon's files (not the issued certificate's, with letsEncrypt). */
export function configSecret(run: OfflineRun): Registered | undefined {
    return run.resources.find((r) => r.type === resourceTypes.secret && r.name.endsWith("-config"));
}

/**
 * The Secret's files of a stack as `pulumi up` would deploy them, with some
 * `catbox-gke:` keys set over the stack file's (secret ones named in `secretKeys`).
 */
export async function renderCatboxFiles(
    stack: string,
    values: Record<string, string> = {},
    secretKeys: string[] = [],
): Promise<Record<string, string>> {
    return (await renderStack(stack, values, secretKeys)).files;
}

/** A stack file's run, with these values on top: the daemons' files and the stack's outputs (other stacks' outputs for its StackReferences). */
export async function renderStack(
    stack: string,
    values: Record<string, string> = {},
    secretKeys: string[] = [],
    otherStacks: Record<string, Record<string, unknown>> = {},
): Promise<{ files: Record<string, string>; outputs: Record<string, any> }> {
    const file = readStackFile(stack);
    const config = { ...file.config };
    for (const [k, v] of Object.entries(values)) config[`${project}:${k}`] = v;
    const secrets = [...file.secretKeys, ...secretKeys.map((k) => `${project}:${k}`)];
    const run = await runOffline({ config, secretKeys: secrets, stack, otherStacks });
    const secret = configSecret(run);
    if (!secret) throw new Error(`stack ${stack} registers no config Secret`);
    return { files: secret.inputs.stringData, outputs: run.outputs };
}
