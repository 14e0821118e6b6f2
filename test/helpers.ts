// Shared test inputs.
import { generateKeyPairSync } from "node:crypto";
import { parseConfig, RawConfig } from "../components/config";
import { placeholderTls } from "../scripts/offline";

export { placeholderTls };

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
export function stackConfig(values: Record<string, string>, extra: Record<string, string> = { "gcp:project": "my-irc-project" }): Record<string, string> {
    return { ...extra, ...Object.fromEntries(Object.entries(values).map(([k, v]) => [`catbox-gke:${k}`, v])) };
}
