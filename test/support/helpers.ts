// Shared test support: config and program runs, and what tests read of the
// resources a run registers.
import { generateKeyPairSync } from "node:crypto";
import { parseConfig, RawConfig } from "../../components/config/parse";
import { OfflineOptions, placeholderTls, Registered, runOffline } from "../../harness/offline/engine";
import { resourceTypes } from "../../harness/offline/resourceTypes";

export { placeholderTls, resourceTypes as T };
export type { Registered };

/** Raw stack config as the runtime hands it over; gcp:project set unless given. */
export function raw(values: Record<string, string>, secretKeys: string[] = [], gcp: RawConfig["gcp"] = { project: "my-irc-project" }): RawConfig {
    return { values, secretKeys: new Set(secretKeys), gcp };
}

/** A config that passes, with everything not given at its default. */
export function config(values: Record<string, string> = {}, secretKeys: string[] = []) {
    return parseConfig(raw(values, secretKeys));
}

/** A private key that is not the placeholder certificate's. */
export const otherKeyPem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

/** Full-key stack config for an offline run of the program. */
export function stackConfig(
    values: Record<string, string>,
    extra: Record<string, string> = { "gcp:project": "my-irc-project" },
): Record<string, string> {
    return { ...extra, ...Object.fromEntries(Object.entries(values).map(([k, v]) => [`catbox-gke:${k}`, v])) };
}

/** Run the program offline with these `catbox-gke:` values (secret keys without prefix). */
export function run(
    values: Record<string, string> = {},
    secretKeys: string[] = [],
    opts: Partial<OfflineOptions> & { extra?: Record<string, string> } = {},
) {
    return runOffline({
        ...opts,
        config: stackConfig(values, opts.extra),
        secretKeys: secretKeys.map((k) => (k.includes(":") ? k : `catbox-gke:${k}`)),
    });
}

export function byType(resources: Registered[], type: string): Registered[] {
    return resources.filter((r) => r.type === type);
}

export function one(resources: Registered[], type: string, name?: string): Registered {
    const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
    if (found.length !== 1) throw new Error(`expected one ${type} ${name ?? ""}, found ${found.length}`);
    return found[0];
}

/** URNs a resource waits for: its dependencies, its provider, and theirs, transitively. */
export function dependencyClosure(resources: Registered[], start: Registered): Set<string> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const seen = new Set<string>();
    const todo = [start];
    while (todo.length) {
        const r = todo.pop()!;
        const next = [...r.dependencies, ...(r.provider ? [r.provider.split("::").slice(0, -1).join("::")] : [])];
        for (const urn of next) {
            if (seen.has(urn)) continue;
            seen.add(urn);
            const dep = byUrn.get(urn);
            if (dep) todo.push(dep);
        }
    }
    return seen;
}

/** The StatefulSet's pod template, and what tests read of it. */
export const podTemplateOf = (rs: Registered[]) => one(rs, resourceTypes.statefulSet).inputs.spec.template;
export const podSpecOf = (rs: Registered[]) => podTemplateOf(rs).spec;
export const containerOf = (rs: Registered[], name: "catbox" | "reloader") => {
    const found = podSpecOf(rs).containers.find((c: { name: string }) => c.name === name);
    if (!found) throw new Error(`no ${name} container in the pod template`);
    return found;
};
