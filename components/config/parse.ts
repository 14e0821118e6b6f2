// Stack config -> one validated, typed object. Pure: no Pulumi import, so that
// validation runs (and fails) before any resource exists. Each key is parsed on
// its own (keys.ts), then the rules that span keys run (rules.ts); every
// problem is reported at once, one line each, naming the key, the value (never
// a secret's) and what is allowed.
import { appliesOnly, ConfigKey, configKeys, entryOf, isConfigKey, notWhere, Parsed, project } from "./keys";
import { rawSecretTexts, textShows } from "./chosenSecrets";
import { RuleContext, rules } from "./rules";
import type { CatboxConfig, ExistingClusterSource, ExistingPlatform, GkePlatform, RawConfig } from "./types";

export type { RawConfig };

/**
 * RawConfig from the whole config as the runtime holds it (`catbox-gke:replicas`,
 * `gcp:project`, …), with the keys (without prefix) whose values are secrets.
 */
export function rawConfigOf(all: Record<string, string>, secretKeys: ReadonlySet<string>, stack?: string): RawConfig {
    const prefix = `${project}:`;
    const values = Object.fromEntries(
        Object.entries(all)
            .filter(([fullKey]) => fullKey.startsWith(prefix))
            .map(([fullKey, value]) => [fullKey.slice(prefix.length), value]),
    );
    return { values, secretKeys, gcp: { project: all["gcp:project"], region: all["gcp:region"], zone: all["gcp:zone"] }, stack };
}

export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` + problems.map((p) => `  ${p}`).join("\n"));
        this.name = "ConfigError";
    }
}

/** The reason given where the true one would show a value set with --secret. */
export const withheld =
    "is refused, for a reason that would show a value set with --secret: set that key in plain text for a moment to see it, or see the README's config table";

/** Keys whose values are text for people to read, in any script. */
const freeTextKeys: ReadonlySet<string> = new Set(["motd", "serverInfo", "maintenanceExclusions"]);

/** How a value appears in an error message: secrets and would-be secrets never do. */
export function shownValue(key: string, raw: RawConfig): string {
    if (raw.secretKeys.has(key)) return "[secret]";
    if (isConfigKey(key) && entryOf(key).secret) return "[not shown]";
    // A certificate's text helps nobody in one line (and a key pasted with it must not show).
    if (key === "tlsCertificate") return "[not shown]";
    const value = raw.values[key];
    if (value === undefined || value === "") return "(unset)";
    // JSON escapes C0 controls. Of the rest, what a reader cannot tell apart is escaped too: in free
    // text, invisible and combining characters; in a name, address or number, anything not ASCII
    // (a Cyrillic "а" in a hostname looks like the Latin one, and is why it is refused).
    const unclear = freeTextKeys.has(key) ? /[\p{C}\p{Z}\p{M}]/gu : /[^\x20-\x7e]/gu;
    const oneLine = JSON.stringify(value).replace(unclear, (ch) =>
        ch === " "
            ? ch
            : [...ch]
                  .flatMap((c) => (c.codePointAt(0)! > 0xffff ? [c.charCodeAt(0), c.charCodeAt(1)] : [c.charCodeAt(0)]))
                  .map((u) => `\\u${u.toString(16).padStart(4, "0")}`)
                  .join(""),
    );
    return oneLine.length > 80 ? oneLine.slice(0, 77) + '…"' : oneLine;
}

/**
 * Validate the stack config. Throws a ConfigError naming every bad key, its value
 * and what is allowed; returns the typed config otherwise.
 */
export function parseConfig(given: RawConfig, now: Date = new Date()): CatboxConfig {
    // An empty value (`key: ""`, or `key:` in a stack file) means the key is not set.
    const raw = { ...given, values: Object.fromEntries(Object.entries(given.values).filter(([, value]) => value !== "")) };
    const isSet = (key: string) => Object.hasOwn(raw.values, key);
    const problems: string[] = [];
    const invalid = new Set<string>();
    const problem = (key: string, message: string) => {
        invalid.add(key);
        problems.push(`${project}:${key} = ${isSet(key) ? shownValue(key, raw) : "(unset)"}: ${message}`);
    };
    // A rule's reason is made from values: one that would show a value set with --secret is withheld, whichever rule wrote it.
    const secretTexts = rawSecretTexts(raw);
    const ruleProblem = (key: string, message: string) => problem(key, textShows(message, secretTexts) ? withheld : message);

    for (const key of Object.keys(raw.values).sort()) {
        if (!isConfigKey(key)) problem(key, `is not a ${project} key (see the README's config table)`);
    }

    const parsed: Partial<Parsed> = {};
    for (const key of configKeys) {
        const result = entryOf(key).schema.safeParse(raw.values[key]);
        const { fault, only } = entryOf(key);
        if (result.success) (parsed as Record<string, unknown>)[key] = result.data;
        // A key that means nothing on this platform (or TLS mode) is refused for that, whatever its value.
        else if (only && notWhere(only, parsed)) problem(key, appliesOnly(only, parsed, !raw.secretKeys.has(only.platform ? "platform" : "tlsMode")));
        else problem(key, fault ? fault(result.error.issues[0]) : entryOf(key).allowed);
    }
    for (const key of configKeys) {
        if (entryOf(key).secret && isSet(key) && !raw.secretKeys.has(key)) {
            problem(key, `must be a secret: set it with \`pulumi config set --secret ${project}:${key} …\``);
        }
    }

    const gcp = raw.gcp ?? {};
    const region = parsed.region ?? gcp.region ?? "us-west1";
    const clusterLocation = parsed.clusterLocation ?? gcp.zone ?? `${region}-a`;
    const context: RuleContext = {
        parsed,
        gcp,
        stack: raw.stack,
        now,
        region,
        clusterLocation,
        isSet,
        problem: ruleProblem,
        valid: (...keys: ConfigKey[]) => keys.every((k) => !invalid.has(k)),
        shows: (...keys: ConfigKey[]) => keys.every((k) => !raw.secretKeys.has(k) && !entryOf(k).secret),
        foreignProblem: (line) => problems.push(line),
    };
    for (const rule of rules) rule(context);

    if (problems.length > 0) throw new ConfigError(problems);

    // The rules above hold what the types below say: this is the one place that decides.
    const all = parsed as Parsed;
    const common = { ...all, users: (all.users ?? []).map((u, i) => ({ ...u, id: u.id ?? `user${i}` })), region, clusterLocation };
    const platform: GkePlatform | ExistingPlatform =
        all.platform === "gke"
            ? { platform: "gke", gcpProject: gcp.project!, image: all.image, dnsZone: all.dnsZone }
            : { platform: "kubeconfig", image: all.image!, kubeconfig: all.kubeconfig, cluster: existingCluster(all) };
    return { ...common, ...platform } as CatboxConfig;
}

/** Which cluster platform kubeconfig deploys onto, decided once. */
function existingCluster(all: Parsed): ExistingClusterSource {
    if (all.kubeconfig !== undefined) {
        // A kubeconfig is YAML or JSON over several lines; a single word is a context's name.
        return /\n|apiVersion|\{/.test(all.kubeconfig) ? { kind: "contents" } : { kind: "context", name: all.kubeconfig };
    }
    return all.kubeContext !== undefined ? { kind: "context", name: all.kubeContext } : { kind: "current" };
}
