// Keys a user set with `--secret` that Pulumi.yaml does not ask to be secret
// (a hostname, a MOTD, an address, a context's name …): their values stay
// secret wherever they flow, found by their text. Pure: no Pulumi import.
import { serverNames } from "../catbox/files";
import { ConfigKey, entryOf, isConfigKey } from "./keys";
import type { CatboxConfig, RawConfig } from "./types";

/** Keys set, and set as secrets, that Pulumi.yaml does not declare secret. */
export function chosenSecretKeys(raw: RawConfig): ConfigKey[] {
    return [...raw.secretKeys].filter((k): k is ConfigKey => isConfigKey(k) && !entryOf(k).secret && (raw.values[k] ?? "") !== "").sort();
}

/**
 * The texts those keys' values take in the program's inputs and outputs: each
 * value as given and as read (a list's items, an object's values), and the
 * server names a secret pattern makes.
 */
export function chosenSecretTexts(cfg: CatboxConfig, raw: RawConfig): string[] {
    const texts = new Set<string>();
    const add = (v: unknown) => {
        if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") texts.add(String(v));
        else if (Array.isArray(v)) v.forEach(add);
        else if (v !== null && typeof v === "object") Object.values(v).forEach(add);
    };
    for (const key of chosenSecretKeys(raw)) {
        add(raw.values[key]);
        add(cfg[key as keyof CatboxConfig]);
        if (key === "serverNamePattern") add(serverNames(cfg));
    }
    texts.delete("");
    return [...texts].sort();
}

/**
 * A text this short is only a secret's when it is the whole value: inside
 * longer ones it would match by chance (a secret "2" is in every "20").
 */
const shortest = 3;

/** Whether `value` shows one of `texts`: a string holding it, a number or boolean that is it, or a list or object with such a part (keys too). */
export function showsChosenSecret(value: unknown, texts: readonly string[]): boolean {
    if (typeof value === "string") return texts.some((t) => value === t || (t.length >= shortest && value.includes(t)));
    if (typeof value === "number" || typeof value === "boolean") return texts.includes(String(value));
    if (Array.isArray(value)) return value.some((v) => showsChosenSecret(v, texts));
    if (value !== null && typeof value === "object") {
        return Object.entries(value).some(([k, v]) => showsChosenSecret(k, texts) || showsChosenSecret(v, texts));
    }
    return false;
}

/** Every text a value set as a secret takes, from its raw form alone (before it is parsed): the whole value, and a JSON value's items and field values. */
export function rawSecretTexts(raw: RawConfig): string[] {
    const texts = new Set<string>();
    const add = (v: unknown) => {
        if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") texts.add(String(v).trim());
        else if (Array.isArray(v)) v.forEach(add);
        // An object's field names are the schema's words (usermask, start …), not the user's.
        else if (v !== null && typeof v === "object") Object.values(v).forEach(add);
    };
    for (const key of raw.secretKeys) {
        const value = raw.values[key];
        if (value === undefined) continue;
        add(value);
        try {
            add(JSON.parse(value));
        } catch {
            // Not JSON: the whole value is its one text.
        }
    }
    texts.delete("");
    return [...texts];
}

/** Whether a line of text shows one of `texts`: a long one anywhere, a short one as a word of its own (a secret "2" is not in "20"). */
export function textShows(line: string, texts: readonly string[]): boolean {
    const lower = line.toLowerCase();
    return texts.some((t) => {
        const needle = t.toLowerCase();
        if (needle.length >= shortest) return lower.includes(needle);
        const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        return new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, "u").test(lower);
    });
}
