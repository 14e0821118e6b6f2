// A stack's config as the Pulumi CLI would hand it to the program: the project's
// defaults from Pulumi.yaml, then the stack file, every value a string. `secure:`
// values cannot be decrypted here; they become labelled placeholders (and a
// committed throwaway pair for TLS). Used by `npm run render`, the benchmarks
// and the tests.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Document, isMap, isScalar, parse, parseDocument, YAMLError } from "yaml";
import { placeholderProject, project } from "../../components/config/keys";
import { cliText, fitsInt64, goValue, type GoValue, jsonValue } from "./goYaml";
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

/** A key's declaration in Pulumi.yaml's `config:` block. */
interface Declared {
    type?: "string" | "integer" | "boolean" | "array";
    items?: { type: string };
    default?: unknown;
    value?: unknown;
    secret?: boolean;
}

/**
 * Stack config as the Pulumi CLI would pass it: project defaults, then the stack
 * file; every value a string, read as the CLI reads it (goYaml.ts: `0x10` is
 * "16", a list is JSON), and every error is one line. Before the program runs,
 * the CLI (v3.248.0, sdk/go/common/workspace/config.go, mergeConfig and
 * validateStackConfigValues) refuses a stack that lacks a key
 * Pulumi.yaml declares without a default, a plain value for a key declared
 * secret, and a value not of its declared type: so does this, in its words.
 */
export function readStackFile(stack: string, dir = root): { config: Record<string, string>; secretKeys: string[]; placeholders: string[] } {
    const projectFile = parse(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
    const declared: Record<string, Declared> = projectFile.config ?? {};
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
    // The stack file's values as the CLI holds them: the text it hands the program, and what it type-checks.
    const values = new Map<string, StackValue>();
    for (const pair of isMap(configNode) ? configNode.items : []) {
        const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
        let value: GoValue;
        try {
            value = goValue(pair.value, (alias) => alias.resolve(document));
        } catch (e) {
            throw fail("", `${key}: ${(e as Error).message}`);
        }
        const secure = !!value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).join() === "secure";
        const { text, object } = secure ? { text: "", object: false } : cliText(value);
        values.set(key, { text, checked: object ? jsonValue(value) : text, secure });
    }
    checkAsTheCli(stack, declared, values);

    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const placeholders: string[] = [];
    for (const [key, decl] of Object.entries(declared)) {
        if (decl && typeof decl === "object" && "default" in decl) config[fullKey(key)] = asString(decl.default);
    }
    for (const [key, { text, secure }] of values) {
        if (key === "gcp:project" && text === placeholderProject) {
            // The committed prod stack's stand-in, which `pulumi up` refuses: render with another.
            config[key] = "example-irc-project";
            placeholders.push(key);
        } else if (secure) {
            config[key] = placeholderFor(key);
            secretKeys.push(key);
            placeholders.push(key);
        } else {
            config[key] = text;
        }
    }
    return { config, secretKeys, placeholders };
}

/** A default as the CLI hands it on: a scalar's text, a list as JSON. */
const asString = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** A declared key as the stack file names it: this project's own unless it names another. */
const fullKey = (key: string) => (key.includes(":") ? key : `${project}:${key}`);

/** A stack file's value: the text the program gets, the value the CLI checks against the declared type, and whether it is `secure:`. */
interface StackValue {
    text: string;
    checked: unknown;
    secure: boolean;
}

/** The CLI's checks of a stack's config against Pulumi.yaml, in its order and its words. */
function checkAsTheCli(stack: string, declared: Record<string, Declared>, values: Map<string, StackValue>): void {
    const keys = Object.keys(declared).sort();
    const missing = keys.filter((k) => {
        const decl = declared[k] ?? {};
        return !values.has(fullKey(k)) && (decl.default ?? null) === null && (decl.value ?? null) === null && fullKey(k).startsWith(`${project}:`);
    });
    if (missing.length > 0) {
        const names = missing.map((k) => `'${k}'`);
        const listed =
            names.length === 1
                ? names[0]
                : `${names
                      .slice(0, -2)
                      .map((n) => `${n}, `)
                      .join("")}${names.at(-2)} and ${names.at(-1)}`;
        throw new pulumi.RunError(`Stack '${stack}' is missing configuration value${names.length === 1 ? "" : "s"} ${listed}`);
    }
    for (const k of keys) {
        const decl = declared[k] ?? {};
        const given = values.get(fullKey(k));
        if (decl.type === undefined || given === undefined) continue;
        if (decl.secret && !given.secure) {
            throw new pulumi.RunError(`Stack '${stack}' with configuration key '${k}' must be encrypted as it's secret`);
        }
        // A secure value cannot be decrypted here: the CLI checks its type, this cannot.
        if (!given.secure && !cliTypeAccepts(decl.type, decl.items?.type, given.checked)) {
            const typeName = decl.items ? `array<${decl.items.type}>` : decl.type;
            throw new pulumi.RunError(`Stack '${stack}' with configuration key '${k}' must be of type '${typeName}'`);
        }
    }
}

/** The CLI's ValidateConfigValue: a scalar's text must parse as the type (Go's strconv.Atoi for integers). */
function cliTypeAccepts(type: string, itemType: string | undefined, value: unknown): boolean {
    switch (type) {
        case "string":
            return typeof value === "string";
        case "integer":
            return (typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && goAtoiAccepts(value));
        case "boolean":
            return typeof value === "boolean" || value === "true" || value === "false";
        case "object":
            return !!value && typeof value === "object" && !Array.isArray(value);
        default:
            return Array.isArray(value) && itemType !== undefined && value.every((item) => cliTypeAccepts(itemType, undefined, item));
    }
}

/** Go's strconv.Atoi on a 64-bit machine: an optional sign, decimal digits, within int64. */
function goAtoiAccepts(text: string): boolean {
    return /^[+-]?[0-9]+$/.test(text) && fitsInt64(BigInt(text));
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
): Promise<{ files: Record<string, string>; outputs: Record<string, any>; athemeConf?: string }> {
    const file = readStackFile(stack);
    const config = { ...file.config };
    for (const [k, v] of Object.entries(values)) config[`${project}:${k}`] = v;
    const secrets = [...file.secretKeys, ...secretKeys.map((k) => `${project}:${k}`)];
    const run = await runOffline({ config, secretKeys: secrets, stack, otherStacks });
    const secret = configSecret(run);
    if (!secret) throw new Error(`stack ${stack} registers no config Secret`);
    // With services: their atheme.conf, as its Secret holds it.
    const atheme = run.resources.find((r) => r.type === resourceTypes.secret && r.name === "services-atheme");
    return { files: secret.inputs.stringData, outputs: run.outputs, athemeConf: atheme?.inputs.stringData["atheme.conf"] };
}
