// A stack file's values as the Pulumi CLI reads them. The CLI (v3.248.0,
// sdk/go/common/workspace/loaders.go, LoadProjectStackBytes) decodes the file
// with Go's gopkg.in/yaml.v3 into plain values, encodes it again and decodes
// that into its config map (sdk/go/common/resource/config/object.go): a plain
// scalar is resolved by yaml.v3's rules (resolve.go), so `0x10` and `010` are
// the integers 16 and 8, `True` is true, `2026-01-02` is a time, and a value is
// then handed to the program as its text (a number or boolean as JSON, a time
// as Go's Time.String(), a list or map as JSON with sorted keys). Checked
// against yaml.v3 3.0.1 itself (the version the CLI's go.mod pins). Pure.
import { Alias, isAlias, isMap, isScalar, isSeq, Node, Scalar } from "yaml";

/** An integer beyond JavaScript's safe range keeps its digits. */
class BigInteger {
    constructor(readonly digits: string) {}
}
/** A time, as Go prints it. */
class GoTime {
    constructor(readonly text: string) {}
}
/** What yaml.v3 decodes a node into. */
export type GoValue = string | number | boolean | null | BigInteger | GoTime | GoValue[] | { [key: string]: GoValue };

/** The value yaml.v3 decodes this node into (aliases followed by `resolveAlias`). */
export function goValue(node: unknown, resolveAlias: (a: Alias) => unknown): GoValue {
    if (isAlias(node)) return goValue(resolveAlias(node), resolveAlias);
    if (isScalar(node)) return goScalar(node);
    if (isSeq(node)) return node.items.map((item) => goValue(item, resolveAlias));
    if (isMap(node)) {
        const out: { [key: string]: GoValue } = {};
        for (const pair of node.items) out[String(goText(goValue(pair.key, resolveAlias)))] = goValue(pair.value, resolveAlias);
        return out;
    }
    return node === null || node === undefined ? null : (node as Node).toJSON();
}

/** How the CLI hands a top-level value to the program; `object` when it was a list or map. */
export function cliText(value: GoValue): { text: string; object: boolean } {
    if (value === null) return { text: "", object: false };
    if (Array.isArray(value) || (typeof value === "object" && !(value instanceof BigInteger) && !(value instanceof GoTime))) {
        return { text: goJson(value), object: true };
    }
    return { text: goText(value), object: false };
}

/** The parsed JSON of a list or map's text, as the CLI validates it against its declared type. */
export function jsonValue(value: GoValue): unknown {
    return JSON.parse(goJson(value));
}

function goText(value: GoValue): string {
    if (typeof value === "string") return value;
    if (value instanceof BigInteger) return value.digits;
    if (value instanceof GoTime) return value.text;
    return goJson(value);
}

/** Go's json.Marshal: map keys sorted, numbers in ECMAScript's form (which Go's encoder follows), <, > and & escaped. */
function goJson(value: GoValue): string {
    if (value instanceof BigInteger) return value.digits;
    if (value instanceof GoTime) return JSON.stringify(value.text);
    if (typeof value === "number" && !Number.isFinite(value)) throw new Error(`json: unsupported value: ${value}`);
    if (Array.isArray(value)) return `[${value.map(goJson).join(",")}]`;
    if (value !== null && typeof value === "object") {
        return `{${Object.keys(value)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${goJson(value[k])}`)
            .join(",")}}`;
    }
    // Go escapes what HTML would read, as \u escapes.
    return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function goScalar(node: Scalar): GoValue {
    const source = typeof node.source === "string" ? node.source : String(node.value ?? "");
    const tag = node.tag?.replace(/^tag:yaml\.org,2002:/, "!!");
    if (tag === "!!str") return String(node.value);
    if (tag === "!!binary") return Buffer.from(source.replace(/\s/g, ""), "base64").toString("utf8");
    // Quoted and block scalars are strings; only plain ones are resolved.
    if (node.type !== Scalar.PLAIN && node.type !== undefined) return String(node.value);
    return resolvePlain(source);
}

const resolveMap: Record<string, GoValue> = {
    true: true,
    True: true,
    TRUE: true,
    false: false,
    False: false,
    FALSE: false,
    "": null,
    "~": null,
    null: null,
    Null: null,
    NULL: null,
    ".nan": NaN,
    ".NaN": NaN,
    ".NAN": NaN,
    ".inf": Infinity,
    ".Inf": Infinity,
    ".INF": Infinity,
    "+.inf": Infinity,
    "+.Inf": Infinity,
    "+.INF": Infinity,
    "-.inf": -Infinity,
    "-.Inf": -Infinity,
    "-.INF": -Infinity,
};

const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** yaml.v3's resolve() of an untagged plain scalar. */
function resolvePlain(text: string): GoValue {
    if (Object.hasOwn(resolveMap, text)) return resolveMap[text];
    const first = text[0] ?? "";
    if (first === ".") {
        const f = goParseFloat(text);
        return f === undefined ? text : f;
    }
    if (!/[-+0-9]/.test(first)) return text;
    const time = goTimestamp(text);
    if (time !== undefined) return time;
    const plain = text.replace(/_/g, "");
    const int = goParseInt(plain);
    if (int !== undefined) return int;
    const f = goParseFloat(plain);
    if (f !== undefined) return f;
    for (const [prefix, base] of [
        ["0b", 2],
        ["0o", 8],
    ] as const) {
        const sign = plain.startsWith("-") ? "-" : "";
        const rest = sign ? plain.slice(1) : plain;
        if (rest.startsWith(prefix)) {
            const n = integerOf(sign, rest.slice(2), base);
            if (n !== undefined) return n;
        }
    }
    return text;
}

/** Go's strconv.ParseInt(s, 0, 64), then ParseUint: a sign (ints only), and 0x, 0o, 0b or a leading 0 for octal. */
function goParseInt(s: string): GoValue | undefined {
    const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
    if (!m) return undefined;
    const [, sign, body] = m;
    const lower = body.toLowerCase();
    const [digits, base] =
        lower.startsWith("0x") && lower.length > 2
            ? [lower.slice(2), 16]
            : lower.startsWith("0o")
              ? [lower.slice(2), 8]
              : lower.startsWith("0b")
                ? [lower.slice(2), 2]
                : lower.length > 1 && lower.startsWith("0")
                  ? [lower.slice(1), 8]
                  : [lower, 10];
    return integerOf(sign === "+" ? "" : sign, digits, base);
}

function integerOf(sign: string, digits: string, base: number): GoValue | undefined {
    if (digits === "") return undefined;
    const prefix = base === 16 ? "0x" : base === 8 ? "0o" : base === 2 ? "0b" : "";
    let n: bigint;
    try {
        n = BigInt(`${prefix}${digits}`);
    } catch {
        return undefined;
    }
    if (sign === "-") n = -n;
    const fitsUint64 = sign !== "-" && n < 2n ** 64n;
    if (!fitsInt64(n) && !fitsUint64) return undefined;
    return Number.isSafeInteger(Number(n)) ? Number(n) : new BigInteger(n.toString());
}

/** Go's int64 range. */
export function fitsInt64(n: bigint): boolean {
    return n >= -(2n ** 63n) && n < 2n ** 63n;
}

function goParseFloat(s: string): number | undefined {
    return yamlStyleFloat.test(s) ? Number(s) : undefined;
}

/** yaml.v3's timestamps: a date, or a date and time (with Z or no zone: UTC); any other zone is not read here. */
function goTimestamp(s: string): GoTime | undefined {
    const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d{1,9})?(Z)?)?$/.exec(s);
    if (!m) return undefined;
    const [, y, mo, d, h = "0", mi = "0", sec = "0", frac = "", zone] = m;
    if (s.includes("T") || s.includes("t")) {
        if (!zone) return undefined;
    } else if (zone) return undefined;
    const date = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +sec));
    if (date.getUTCMonth() !== +mo - 1 || date.getUTCDate() !== +d || +h > 23 || +mi > 59 || +sec > 59) return undefined;
    const pad = (n: number) => String(n).padStart(2, "0");
    const fraction = frac.replace(/0+$/, "").replace(/^\.$/, "");
    return new GoTime(`${y}-${pad(+mo)}-${pad(+d)} ${pad(+h)}:${pad(+mi)}:${pad(+sec)}${fraction} +0000 UTC`);
}
