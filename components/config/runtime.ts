// What the Pulumi runtime says of the stack's config beyond its values: which
// keys the CLI passed as secrets, and keeping the ones a user chose to make
// secret (with `--secret`, though Pulumi.yaml does not ask it) secret in every
// resource input and stack output that shows them.
import * as pulumi from "@pulumi/pulumi";
import { project } from "./keys";
import { showsChosenSecret } from "./chosenSecrets";

/**
 * Keys (without the project prefix) that the CLI passed as secrets: those set
 * with `--secret` (Pulumi.yaml declares none: a declared key needs a default). The CLI hands
 * the program their names beside the values (PULUMI_CONFIG_SECRET_KEYS); the
 * SDK reads them with runtime.isConfigSecret, which its typings leave out, so a
 * test holds that the installed SDK still has it, and a run without it stops.
 */
export function runtimeSecretKeys(all: Record<string, string>): Set<string> {
    const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
    if (typeof isConfigSecret !== "function") {
        throw new pulumi.RunError(
            "this @pulumi/pulumi does not say which config keys are secrets (runtime.isConfigSecret): " +
                "without it a value set with --secret could be shown; use the version package-lock.json pins",
        );
    }
    const prefix = `${project}:`;
    return new Set(
        Object.keys(all)
            .filter((k) => k.startsWith(prefix) && isConfigSecret(k))
            .map((k) => k.slice(prefix.length)),
    );
}

/** `value` as a secret if it shows one of `texts`: plain values judged now, Outputs once known. */
function secretIfShown(value: unknown, texts: readonly string[]): unknown {
    if (value === undefined) return value;
    if (!pulumi.Output.isInstance(value) && !holdsPending(value)) return showsChosenSecret(value, texts) ? pulumi.secret(value) : value;
    return pulumi.output(value).apply((v) => (showsChosenSecret(v, texts) ? pulumi.secret(v) : v));
}

function holdsPending(v: unknown): boolean {
    if (pulumi.Output.isInstance(v) || v instanceof Promise) return true;
    if (Array.isArray(v)) return v.some(holdsPending);
    if (v !== null && typeof v === "object" && v.constructor === Object) return Object.values(v).some(holdsPending);
    return false;
}

/** Each entry of `values` that shows one of `texts` made a secret. */
export function secretWhereShown<T extends Record<string, unknown>>(values: T, texts: readonly string[]): T {
    if (texts.length === 0) return values;
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, secretIfShown(v, texts)])) as T;
}

/**
 * From now on, each input of every resource the program creates that shows one
 * of `texts` is a secret. The SDK's own transformation, not the engine's
 * `registerResourceTransform` that deprecates it: that one runs through the
 * engine's callback server, and Pulumi's mocks refuse it (setMocks sets
 * `supportsTransforms = false`), so the program could no longer be tested the
 * way Pulumi documents. Both see the same props here.
 */
export function keepSecretInEveryInput(texts: readonly string[]) {
    if (texts.length === 0) return;
    pulumi.runtime.registerStackTransformation(({ props, opts }) => ({ props: secretWhereShown(props, texts), opts }));
}
