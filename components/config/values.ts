// The shapes stack values take: Pulumi's strings turned into numbers, booleans
// and JSON, and the rules a value must follow to survive catbox's line format
// and Go's parsers. Pure: no Pulumi import.
import { domainToUnicode } from "node:url";
import { z } from "zod";

// Pulumi hands every value over as a string; turn the ones that mean numbers,
// booleans and JSON into those, and leave the rest for the schema to reject.
const fromNumberString = (v: unknown) => (typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v);
const fromBoolString = (v: unknown) => (v === "true" ? true : v === "false" ? false : v);
export const fromJsonString = (v: unknown) => {
    if (typeof v !== "string") return v;
    try {
        return JSON.parse(v);
    } catch {
        return v;
    }
};

export const int = (min: number, max: number) => z.preprocess(fromNumberString, z.int().min(min).max(max));
export const bool = () => z.preprocess(fromBoolString, z.boolean());

// catbox reads `key = value` lines with Go's bufio.Scanner and strings.TrimSpace
// (horgh/config): a value must survive that round trip. TrimSpace strips what
// Go's unicode.IsSpace calls space, which is not JavaScript's \s (U+0085 is
// space to Go, U+FEFF is not).
const goSpace = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const goEdgeSpaceRe = new RegExp(`^[${goSpace}]|[${goSpace}]$`);
const goSpaceRe = new RegExp(`[${goSpace}]`);
/** C0 and C1 controls (NUL, newlines, tabs, DEL, U+0085 …): never in a catbox file. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controlRe = /[\u0000-\u001f\u007f-\u009f]/;

/** Half of a UTF-16 surrogate pair, alone: no character at all. */
const loneSurrogateRe = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * One value of a catbox file: one line of at most `max` characters, no
 * control character, no edge space (as Go trims it), none of `reserved`.
 */
export const catboxValue = (max: number, reserved = "#=") =>
    z
        .string()
        .min(1)
        .max(max)
        // A lone surrogate would reach catbox as U+FFFD; a private key's armour in a value every client sees is a leak.
        .refine(
            (s) =>
                !loneSurrogateRe.test(s) &&
                !controlRe.test(s) &&
                !goEdgeSpaceRe.test(s) &&
                ![...reserved].some((c) => s.includes(c)) &&
                !/PRIVATE KEY/.test(s),
        );
/** A field of a comma-separated catbox line (servers.conf, users.conf). */
export const catboxField = (max: number) => catboxValue(max, "#=,");
/**
 * An oper password: `/oper name password` sends it as a middle parameter, so a
 * space splits it and a leading ':' makes it a trailing one; neither matches.
 */
export const operPassword = () => catboxField(128).refine((s) => !goSpaceRe.test(s) && !s.startsWith(":"));
/** An email address, as catbox's admin-email or anywhere else. */
export const email = () =>
    catboxValue(254).pipe(
        // What GCP's notification channels and Let's Encrypt take: a plain local part, and a domain of
        // letter-or-digit labels (no empty one) ending in letters.
        z
            .string()
            .regex(/^[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/)
            // A dot-atom (RFC 5322, Go's net/mail, which Let's Encrypt parses with): no dot first, last or twice.
            .refine((s) => !/^\.|\.@|\.\./.test(s)),
    );
/**
 * Top-level names under no public suffix (RFC 2606's and 6761's, mDNS's .local,
 * and the private-use names networks take): Let's Encrypt issues for, and mails,
 * only names that end in an ICANN top-level domain (boulder's
 * validNonWildcardDomain), so a name under one of these is refused.
 */
const nonPublicTlds = ["test", "example", "invalid", "localhost", "local", "internal", "lan", "corp", "home", "arpa", "onion", "intranet", "private"];

/**
 * Why Let's Encrypt would refuse this DNS name, as boulder's validNonWildcardDomain
 * does, or undefined: more than 10 labels, a non-public top-level name, a label
 * with "--" in its third and fourth places that is no punycode, or punycode that
 * does not decode to NFC. The message never shows the name.
 */
export function letsEncryptNameProblem(name: string): string | undefined {
    const labels = name.toLowerCase().split(".");
    if (labels.length > 10) return "has more than 10 labels, the most Let's Encrypt takes";
    if (nonPublicTlds.includes(labels.at(-1)!)) return `ends in .${labels.at(-1)}, which is no public suffix: Let's Encrypt refuses it`;
    for (const label of labels) {
        if (label.length < 4 || label.slice(2, 4) !== "--") continue;
        if (!label.startsWith("xn")) {
            return "has a label with -- in its third and fourth places that is no punycode (xn--…): Let's Encrypt refuses it";
        }
        const unicode = domainToUnicode(label);
        if (!unicode || unicode.normalize("NFC") !== unicode) {
            return "has a punycode label that does not decode (or not to NFC): Let's Encrypt refuses it";
        }
    }
    return undefined;
}

/** A Google service account's email: an id of 6-30 characters in a project of 6-30. */
export const serviceAccountEmail = () => z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]@[a-z][-a-z0-9]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/);
/** C0 and C1 controls, for values that are no catbox value (a context name). */
export const noControls = (s: string) => !controlRe.test(s);
/** Namespaces a network must not take: the system's, and cert-manager's. */
export const reservedNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease", "cert-manager"];
export const dnsLabelRe = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** A lower-case DNS host name with a dot: labels of letters, digits and '-'. */
/** A host name whose last label is not all digits (so no IP address either). */
export const notNumericTld = (s: string) => !/(^|\.)\d+$/.test(s);
export const hostnameRe = /^(?=[^.]{1,63}(\.|$))[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
/**
 * A server name: a lower-case host name with a dot. catbox lower-cases the names
 * in its servers file but compares a linking server's name as sent, so a name
 * with a capital never links.
 */
export const serverNameRe = /^(?=.{1,63}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;
/** An oper name: lower case for the same reason (catbox lower-cases opers.conf, not OPER's name). */
export const operNameRe = /^[a-z0-9_-]{1,32}$/;
// catbox's own checks (util.go isValidUserMask, isValidHostMask, isValidHostname).
export const userMaskRe = /^[a-zA-Z0-9*?~]+$/;
export const hostMaskRe = /^[a-zA-Z0-9.*?-]+$/;
/** A K-line's mask as catbox's KLINE takes it (user@host), its host in lower case: catbox matches hosts case by case. */
export const banMaskRe = /^[a-zA-Z0-9*?~]+@[a-z0-9.*?-]+$/;
export const spoofRe = /^[A-Za-z0-9.-]*$/;
export const imageRefRe =
    /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/**
 * Whether an image reference pins what it names: a digest, or a tag other than
 * `latest`. Kubernetes pulls an untagged or `:latest` image on every start
 * (imagePullPolicy Always), which fails for an image loaded into kind and makes
 * a deploy depend on what the tag points to that day.
 */
export function pinnedImage(ref: string): boolean {
    if (/@sha256:[a-f0-9]{64}$/.test(ref)) return true;
    const tag = /:([\w][\w.-]*)$/.exec(ref.split("/").at(-1) ?? "")?.[1];
    return tag !== undefined && tag !== "latest";
}

/** Go's unit table for time.ParseDuration, in nanoseconds ("µ" is U+00B5, "μ" U+03BC: Go takes both). */
const durationUnits: Record<string, bigint> = {
    ns: 1n,
    us: 1_000n,
    "\u00b5s": 1_000n,
    "\u03bcs": 1_000n,
    ms: 1_000_000n,
    s: 1_000_000_000n,
    m: 60_000_000_000n,
    h: 3_600_000_000_000n,
};
const maxInt64 = (1n << 63n) - 1n;

/**
 * Go's time.ParseDuration, step by step (its integer parts exact, its fractions
 * through float64 as Go computes them), in nanoseconds; undefined where Go
 * returns an error. catbox reads every duration of its config with it.
 */
export function parseGoDuration(text: string): bigint | undefined {
    let s = text;
    let negative = false;
    if (s.startsWith("-") || s.startsWith("+")) {
        negative = s[0] === "-";
        s = s.slice(1);
    }
    if (s === "0") return 0n;
    if (s === "") return undefined;
    const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
    let total = 0n;
    while (s !== "") {
        if (!(s[0] === "." || isDigit(s[0]))) return undefined;
        // The integer part: Go refuses one that overflows int64.
        let i = 0;
        let whole = 0n;
        while (isDigit(s[i])) {
            whole = whole * 10n + BigInt(s[i]);
            if (whole > 1n << 63n) return undefined;
            i++;
        }
        const hasWhole = i > 0;
        s = s.slice(i);
        // The fraction: digits past int64's precision are read but ignored, as Go does.
        let fraction = 0n;
        let scale = 1;
        let hasFraction = false;
        if (s[0] === ".") {
            s = s.slice(1);
            let j = 0;
            let overflow = false;
            while (isDigit(s[j])) {
                if (!overflow) {
                    if (fraction > maxInt64 / 10n) {
                        overflow = true;
                    } else {
                        const next = fraction * 10n + BigInt(s[j]);
                        if (next > 1n << 63n) overflow = true;
                        else {
                            fraction = next;
                            scale *= 10;
                        }
                    }
                }
                j++;
            }
            hasFraction = j > 0;
            s = s.slice(j);
        }
        if (!hasWhole && !hasFraction) return undefined;
        let u = 0;
        while (u < s.length && !(s[u] === "." || isDigit(s[u]))) u++;
        const unit = durationUnits[s.slice(0, u)];
        if (unit === undefined) return undefined;
        s = s.slice(u);
        if (whole > (1n << 63n) / unit) return undefined;
        let value = whole * unit;
        if (fraction > 0n) {
            value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
            if (value > 1n << 63n) return undefined;
        }
        total += value;
        if (total > 1n << 63n) return undefined;
    }
    if (negative) return -total;
    return total > maxInt64 ? undefined : total;
}

const second = 1_000_000_000n;
/** Go durations catbox reads: 1s to 24h, in any form Go accepts. */
export const goDuration = () =>
    z
        .string()
        .max(32)
        .refine((s) => {
            const ns = parseGoDuration(s);
            return ns !== undefined && ns >= second && ns <= 24n * 3600n * second;
        });
export const durationAllowed = (example: string) => `must be a Go duration from 1s to 24h, such as ${example}`;

/**
 * A JSON object as its entries, so that no name is lost: building an object by
 * assignment (as a schema library does) turns a "__proto__" key into a prototype.
 */
export const fromJsonObjectEntries = (v: unknown) => {
    const o = fromJsonString(v);
    if (o === null || typeof o !== "object" || Array.isArray(o)) return o;
    // JSON.parse keeps the last of two equal names: read the text again to keep them all.
    return typeof v === "string" ? jsonObjectEntries(v) : Object.entries(o);
};

/**
 * The members of a JSON object's text, in order, repeated names included
 * (the text is valid JSON: JSON.parse has read it).
 */
function jsonObjectEntries(text: string): [string, unknown][] {
    const entries: [string, unknown][] = [];
    let i = text.indexOf("{") + 1;
    const skipSpace = () => {
        while (/\s/.test(text[i] ?? "")) i++;
    };
    /** The end of the JSON value that starts at i: a string, or anything up to a ',' or '}' outside strings and brackets. */
    const valueEnd = () => {
        let depth = 0;
        let j = i;
        for (; j < text.length; j++) {
            const c = text[j];
            if (c === '"') {
                for (j++; text[j] !== '"'; j++) if (text[j] === "\\") j++;
                if (depth === 0 && text[i] === '"') return j + 1;
            } else if (c === "{" || c === "[") depth++;
            else if (c === "}" || c === "]") {
                if (depth === 0) return j;
                depth--;
            } else if (c === "," && depth === 0) return j;
        }
        return j;
    };
    for (;;) {
        skipSpace();
        if (text[i] === "}" || i >= text.length) return entries;
        if (text[i] === ",") {
            i++;
            continue;
        }
        const keyEnd = valueEnd();
        const key = JSON.parse(text.slice(i, keyEnd)) as string;
        i = keyEnd;
        skipSpace();
        i++; // the ':'
        skipSpace();
        const end = valueEnd();
        entries.push([key, JSON.parse(text.slice(i, end))]);
        i = end;
    }
}

/** The name the web client is served at on GKE: webHostname, else web.<hostname>. */
export function webHostnameOf(c: { webHostname?: string; hostname?: string }): string | undefined {
    return c.webHostname ?? (c.hostname === undefined ? undefined : `web.${c.hostname}`);
}
