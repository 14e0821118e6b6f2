// The shapes stack values take: Pulumi's strings turned into numbers, booleans
// and JSON, and the rules a value must follow to survive catbox's line format
// and Go's parsers. Pure: no Pulumi import.
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

/**
 * One value of a catbox file: one line of at most `max` characters, no
 * control character, no edge space (as Go trims it), none of `reserved`.
 */
export const catboxValue = (max: number, reserved = "#=") =>
    z
        .string()
        .min(1)
        .max(max)
        .refine((s) => !controlRe.test(s) && !goEdgeSpaceRe.test(s) && ![...reserved].some((c) => s.includes(c)));
/** A field of a comma-separated catbox line (servers.conf, users.conf). */
export const catboxField = (max: number) => catboxValue(max, "#=,");
/**
 * An oper password: `/oper name password` sends it as a middle parameter, so a
 * space splits it and a leading ':' makes it a trailing one; neither matches.
 */
export const operPassword = () => catboxField(128).refine((s) => !goSpaceRe.test(s) && !s.startsWith(":"));
/** An email address, as catbox's admin-email or anywhere else. */
export const email = () => catboxValue(254).pipe(z.string().regex(/^[^\s@#=,]+@[^\s@#=,]+\.[^\s@#=,]+$/));
export const dnsLabelRe = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const goDurationRe = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
/** A lower-case DNS host name with a dot: labels of letters, digits and '-'. */
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
export const spoofRe = /^[A-Za-z0-9.-]*$/;
export const imageRefRe =
    /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

const durationNs: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
/** Go's time.ParseDuration for the unsigned forms catbox accepts, in nanoseconds. */
export function parseGoDuration(s: string): number {
    let total = 0;
    for (const [, num, unit] of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
        total += Number(num) * durationNs[unit];
    }
    return total;
}

/** Go durations catbox reads: 1s to 24h (Go refuses ~2562047h and more, and reads sub-nanosecond ones as 0). */
export const goDuration = () =>
    z
        .string()
        .max(32)
        .regex(goDurationRe)
        .refine((s) => parseGoDuration(s) >= 1e9 && parseGoDuration(s) <= 24 * 3600e9);
export const durationAllowed = (example: string) => `must be a Go duration from 1s to 24h, such as ${example}`;

/**
 * A JSON object as its entries, so that no name is lost: building an object by
 * assignment (as a schema library does) turns a "__proto__" key into a prototype.
 */
export const fromJsonObjectEntries = (v: unknown) => {
    const o = fromJsonString(v);
    return o !== null && typeof o === "object" && !Array.isArray(o) ? Object.entries(o) : o;
};
