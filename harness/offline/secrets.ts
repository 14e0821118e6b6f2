// Pulumi's secret wrappers as the mock engine hands values over: which values
// are secrets, and the values themselves.
import * as pulumi from "@pulumi/pulumi";

export function isSecret(v: any): boolean {
    return v !== null && typeof v === "object" && v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

export function containsSecret(v: any): boolean {
    if (isSecret(v)) return true;
    if (Array.isArray(v)) return v.some(containsSecret);
    if (v !== null && typeof v === "object") return Object.values(v).some(containsSecret);
    return false;
}

/** Strip Pulumi's secret wrappers, keeping the values. */
export function unwrap(v: any): any {
    if (isSecret(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (v !== null && typeof v === "object" && v.constructor === Object) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    }
    return v;
}
