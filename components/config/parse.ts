// Stack config -> one validated, typed object. Pure: no Pulumi import, so that
// validation runs (and fails) before any resource exists.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { z } from "zod";
import { serverName } from "../catbox/names";
import { nodeRoom, nodesTotal, podSize, reloaderSize } from "../catbox/sizing";

export const project = "catbox-gke";

/** gcp:project in the committed Pulumi.prod.yaml, until the operator sets their own. */
export const placeholderProject = "your-gcp-project-id";

/**
 * catbox's newest commit: v1.13.0 (the last tag) plus TLS 1.3 support (8c414e2).
 * v1.13.0 refuses every client that negotiates TLS 1.3, the default of every
 * modern client, and the client port speaks only TLS.
 */
const defaultCatboxVersion = "07cbec85ee9f733b3eb74d2a5bf4120c66d701f2";

/**
 * The reloader's image: busybox, pinned by digest. With platform gke the stack
 * copies it into its own registry, so that nodes never pull from Docker Hub.
 */
const defaultReloaderImage = "busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e";

/** The most daemons a network may have. */
export const maxReplicas = 20;

/** What the Pulumi runtime hands us: raw strings, and which of them are secrets. */
export interface RawConfig {
    /** `catbox-gke:` keys without the prefix; values as Pulumi passes them (strings, JSON for objects). */
    values: Record<string, string>;
    /** Keys (without prefix) whose values are Pulumi secrets. */
    secretKeys: ReadonlySet<string>;
    /** The gcp provider's own config (`gcp:project`, …), used for defaults. */
    gcp?: { project?: string; region?: string; zone?: string };
}

export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map((p) => `  ${p}`).join("\n"));
        this.name = "ConfigError";
    }
}

// ---- building blocks -------------------------------------------------------

// Pulumi hands every value over as a string; turn the ones that mean numbers,
// booleans and JSON into those, and leave the rest for the schema to reject.
const fromNumberString = (v: unknown) => (typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v);
const fromBoolString = (v: unknown) => (v === "true" ? true : v === "false" ? false : v);
const fromJsonString = (v: unknown) => {
    if (typeof v !== "string") return v;
    try {
        return JSON.parse(v);
    } catch {
        return v;
    }
};

const int = (min: number, max: number) => z.preprocess(fromNumberString, z.int().min(min).max(max));
const bool = () => z.preprocess(fromBoolString, z.boolean());

// catbox reads `key = value` lines with Go's bufio.Scanner and strings.TrimSpace
// (horgh/config): a value must survive that round trip. TrimSpace strips what
// Go's unicode.IsSpace calls space, which is not JavaScript's \s (U+0085 is
// space to Go, U+FEFF is not).
const goSpace = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const goEdgeSpaceRe = new RegExp(`^[${goSpace}]|[${goSpace}]$`);
const goSpaceRe = new RegExp(`[${goSpace}]`);
/** C0 and C1 controls (NUL, newlines, tabs, DEL, U+0085 …): never in a catbox file. */
const controlRe = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * One value of a catbox file: one line of at most `max` characters, no
 * control character, no edge space (as Go trims it), none of `reserved`.
 */
const catboxValue = (max: number, reserved = "#=") => z.string().min(1).max(max)
    .refine((s) => !controlRe.test(s) && !goEdgeSpaceRe.test(s) && ![...reserved].some((c) => s.includes(c)));
/** A field of a comma-separated catbox line (servers.conf, users.conf). */
const catboxField = (max: number) => catboxValue(max, "#=,");
/**
 * An oper password: `/oper name password` sends it as a middle parameter, so a
 * space splits it and a leading ':' makes it a trailing one; neither matches.
 */
const operPassword = () => catboxField(128).refine((s) => !goSpaceRe.test(s) && !s.startsWith(":"));
/** An email address, as catbox's admin-email or anywhere else. */
const email = () => catboxValue(254).pipe(z.string().regex(/^[^\s@#=,]+@[^\s@#=,]+\.[^\s@#=,]+$/));
const dnsLabelRe = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const goDurationRe = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
/** A lower-case DNS host name with a dot: labels of letters, digits and '-'. */
const hostnameRe = /^(?=[^.]{1,63}(\.|$))[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
/**
 * A server name: a lower-case host name with a dot. catbox lower-cases the names
 * in its servers file but compares a linking server's name as sent, so a name
 * with a capital never links.
 */
const serverNameRe = /^(?=.{1,63}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;
/** An oper name: lower case for the same reason (catbox lower-cases opers.conf, not OPER's name). */
const operNameRe = /^[a-z0-9_-]{1,32}$/;
// catbox's own checks (util.go isValidUserMask, isValidHostMask, isValidHostname).
const userMaskRe = /^[a-zA-Z0-9*?~]+$/;
const hostMaskRe = /^[a-zA-Z0-9.*?-]+$/;
const spoofRe = /^[A-Za-z0-9.-]*$/;
const imageRefRe = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

const durationNs: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
/** Go's time.ParseDuration for the unsigned forms catbox accepts, in nanoseconds. */
function parseGoDuration(s: string): number {
    let total = 0;
    for (const [, num, unit] of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
        total += Number(num) * durationNs[unit];
    }
    return total;
}

/** Go durations catbox reads: 1s to 24h (Go refuses ~2562047h and more, and reads sub-nanosecond ones as 0). */
const goDuration = () => z.string().max(32).regex(goDurationRe).refine((s) => parseGoDuration(s) >= 1e9 && parseGoDuration(s) <= 24 * 3600e9);
const durationAllowed = (example: string) => `must be a Go duration from 1s to 24h, such as ${example}`;

/**
 * A JSON object as its entries, so that no name is lost: building an object by
 * assignment (as a schema library does) turns a "__proto__" key into a prototype.
 */
const fromJsonObjectEntries = (v: unknown) => {
    const o = fromJsonString(v);
    return o !== null && typeof o === "object" && !Array.isArray(o) ? Object.entries(o) : o;
};

// ---- the schema ------------------------------------------------------------

const userSchema = z.strictObject({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).optional(),
    usermask: z.string().max(100).regex(userMaskRe),
    hostmask: z.string().max(100).regex(hostMaskRe),
    floodExempt: z.boolean().default(false),
    spoof: z.string().max(63).regex(spoofRe).default(""),
});

/**
 * Every key, its schema (with its default) and, for the error message, what it allows.
 * `secret: "required"` keys must be set with `pulumi config set --secret`.
 */
const fields = {
    platform: {
        schema: z.enum(["gke", "kubeconfig"]).default("gke"),
        allowed: "must be gke (create the cluster) or kubeconfig (deploy onto an existing cluster)",
    },
    kubeconfig: {
        schema: z.string().min(1).max(1_000_000).optional(),
        allowed: "must be a kubeconfig's contents (or a context name), set as a secret",
        secret: "required",
    },
    kubeContext: {
        schema: z.string().max(253).regex(/^[^\s]+$/).optional(),
        allowed: "must be the name of a context in your kubeconfig, such as kind-irc",
    },
    image: {
        schema: z.string().regex(imageRefRe).optional(),
        allowed: "must be an image reference such as registry.example.org/catbox:v1.13.0 or …@sha256:<digest>",
    },
    reloaderImage: {
        schema: z.string().regex(imageRefRe).default(defaultReloaderImage),
        allowed: "must be an image reference with busybox's sh, nc, timeout, readlink and kill, pinned by digest, such as busybox:1.37.0@sha256:<digest>",
    },
    catboxVersion: {
        schema: z.string().regex(/^(v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?|[0-9a-f]{12,40})$/).default(defaultCatboxVersion),
        allowed: "must be a catbox release tag (vX.Y.Z) or a commit hash (12–40 hex digits); never a branch such as master",
    },
    region: {
        schema: z.string().regex(/^[a-z]+-[a-z]+\d+$/).optional(),
        allowed: "must be a GCP region such as us-west1",
    },
    clusterLocation: {
        schema: z.string().regex(/^[a-z]+-[a-z]+\d+(-[a-z])?$/).optional(),
        allowed: "must be a zone of the region (zonal cluster, e.g. us-west1-a) or the region itself (regional cluster)",
    },
    machineType: {
        schema: z.string().regex(/^[a-z][a-z0-9]*-[a-z0-9-]+$/).refine((m) => m !== "f1-micro" && m !== "g1-small").default("e2-small"),
        allowed: "must be a GCE machine type such as e2-small; f1-micro (too small for GKE's system pods) and g1-small (legacy) are not allowed",
    },
    nodeCount: { schema: int(1, 100).default(2), allowed: "must be a whole number from 1 to 100" },
    spotNodes: { schema: bool().default(false), allowed: "must be true or false" },
    deletionProtection: { schema: bool().default(true), allowed: "must be true or false" },
    namespace: {
        schema: z.string().max(63).regex(dnsLabelRe).default("irc"),
        allowed: "must be a DNS label: lower-case letters, digits and '-', starting with a letter, at most 63 characters",
    },
    replicas: { schema: int(1, maxReplicas).default(2), allowed: `must be a whole number from 1 to ${maxReplicas}` },
    networkName: {
        schema: z.string().max(40).regex(dnsLabelRe).default("catbox"),
        allowed: "must be a DNS label: lower-case letters, digits and '-', starting with a letter, at most 40 characters",
    },
    serverNamePattern: {
        schema: z.string().includes("{n}").refine((p) => serverNameRe.test(serverName(p, maxReplicas - 1))).default("irc{n}.example.org"),
        allowed: "must contain {n} and give lower-case host names with at least one dot, at most 63 characters (e.g. irc{n}.example.org); " +
            "catbox never links a server whose name has a capital",
    },
    serverNames: {
        schema: z.preprocess(fromJsonString, z.array(z.string().regex(serverNameRe)).min(1)).optional(),
        allowed: "must be a list of server names, one per replica: lower-case host names with a dot, at most 63 characters; " +
            "catbox never links a server whose name has a capital",
    },
    serverInfo: {
        schema: catboxValue(80).default("IRC"),
        allowed: "must be one line of 1 to 80 characters without '#', '=', control characters or leading/trailing spaces",
    },
    motd: {
        schema: catboxValue(400).default("Hello this is catbox"),
        allowed: "must be one line of 1 to 400 characters without '#', '=', control characters or leading/trailing spaces",
    },
    ciServiceAccount: {
        schema: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]@[a-z][-a-z0-9]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/).optional(),
        allowed: "must be the email of the CI deployer's service account, such as pulumi-ci@my-project.iam.gserviceaccount.com",
    },
    keepAddress: {
        schema: bool().default(true),
        allowed: "must be true (pulumi destroy leaves the static IP in the project) or false (destroy releases it)",
    },
    uptimeAlert: {
        schema: bool().default(true),
        allowed: "must be true (a Cloud Monitoring uptime check and alert on the client port) or false",
    },
    alertEmail: {
        schema: email().optional(),
        allowed: "must be an email address of at most 254 characters",
    },
    adminEmail: {
        schema: email().optional(),
        allowed: "must be an email address of at most 254 characters",
    },
    maxNickLength: { schema: int(1, 99).default(9), allowed: "must be a whole number from 1 to 99" },
    // A dead peer (or client) is noticed within deadTime; a live client answers the
    // PING sent at pingTime idle long before deadTime.
    pingTime: { schema: goDuration().default("15s"), allowed: durationAllowed("15s, 2m or 1h30m") },
    deadTime: { schema: goDuration().default("45s"), allowed: durationAllowed("45s or 4m") },
    connectAttemptTime: { schema: goDuration().default("1s"), allowed: durationAllowed("1s") },
    clientsPerPod: {
        schema: int(50, 5000).default(500),
        allowed: "must be a whole number from 50 to 5000: the clients each daemon should hold (it sizes the pods)",
    },
    clientPort: { schema: int(1, 65535).default(7000), allowed: "must be a port number from 1 to 65535" },
    linkPort: { schema: int(1, 65535).default(6667), allowed: "must be a port number from 1 to 65535" },
    exposePlaintext: { schema: bool().default(false), allowed: "must be true or false" },
    clientServiceType: {
        schema: z.enum(["LoadBalancer", "NodePort"]).default("LoadBalancer"),
        allowed: "must be LoadBalancer or NodePort",
    },
    clusterDomain: {
        schema: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/).default("cluster.local"),
        allowed: "must be the cluster's DNS domain, such as cluster.local",
    },
    tlsMode: {
        schema: z.enum(["selfSigned", "provided", "letsEncrypt"]).default("selfSigned"),
        allowed: "must be selfSigned (generate a certificate), provided (use tlsCertificate and tlsKey) " +
            "or letsEncrypt (issued and renewed in the cluster for hostname; needs dnsZone)",
    },
    hostname: {
        schema: z.string().max(253).regex(hostnameRe).optional(),
        allowed: "must be the lower-case host name clients connect to, such as irc.example.org",
    },
    dnsZone: {
        schema: z.string().max(63).regex(dnsLabelRe).optional(),
        allowed: "must be the name (not the DNS name) of a Cloud DNS managed zone in the stack's project, such as example-org",
    },
    acmeEmail: {
        schema: email().optional(),
        allowed: "must be an email address: Let's Encrypt's account contact",
    },
    acmeServer: {
        schema: z.enum(["production", "staging"]).default("production"),
        allowed: "must be production (trusted certificates) or staging (untrusted, generous rate limits: for trying out)",
    },
    tlsCertificate: {
        // Exported in plain text (the tlsCertificate output): a key pasted with it would leak.
        schema: z.string().max(100_000).regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/)
            .refine((s) => !/PRIVATE KEY/.test(s)).optional(),
        allowed: "must be a PEM certificate (chain), -----BEGIN CERTIFICATE----- …, at most 100,000 characters, and no private key " +
            "(it is stored and exported in plain text: the key goes in tlsKey, as a secret)",
    },
    tlsKey: {
        schema: z.string().max(20_000).regex(/-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (RSA |EC )?PRIVATE KEY-----/).optional(),
        allowed: "must be a PEM private key, -----BEGIN PRIVATE KEY----- …, at most 20,000 characters",
        secret: "required",
    },
    opers: {
        schema: z.preprocess(fromJsonObjectEntries, z.array(z.tuple([z.string().regex(operNameRe), operPassword()]))
            .transform((entries): Record<string, string> => Object.fromEntries(entries))).optional(),
        allowed: "must be a JSON object of oper name (1 to 32 lower-case letters, digits, '_', '-': catbox never matches a capital) " +
            "to password (1 to 128 characters, no space, ',', '#', '=' or control character, not starting with ':', which /oper cannot send)",
        secret: "required",
    },
    users: {
        schema: z.preprocess(fromJsonString, z.array(userSchema)).optional(),
        allowed: "must be a JSON list of {usermask, hostmask, floodExempt?, spoof?, id?}: usermask of letters, digits and *?~; " +
            "hostmask of letters, digits and .-*?; each at most 100 characters; spoof a host name of at most 63 characters, or empty",
    },
    linkSecret: {
        schema: catboxField(256).min(16).optional(),
        allowed: "must be 16 to 256 characters without ',', '#', '=', control characters or edge spaces",
        secret: "required",
    },
} satisfies Record<string, { schema: z.ZodType; allowed: string; secret?: "required" }>;

export const configKeys = Object.keys(fields) as (keyof typeof fields)[];

/**
 * Keys whose values must be secrets. Pulumi.yaml declares them `secret: true`, and
 * the Pulumi CLI refuses a plain value for such a key before the program runs;
 * offline, parseConfig checks it against the stack file.
 */
export const secretConfigKeys: ReadonlySet<string> = new Set(
    configKeys.filter((k) => (fields[k] as { secret?: string }).secret === "required"));

/** Each key's default (undefined where it has none), as Pulumi.yaml must declare it. */
export function configDefaults(): Record<string, unknown> {
    return Object.fromEntries(configKeys.map((k) => [k, fields[k].schema.safeParse(undefined).data]));
}

type Parsed = { [K in keyof typeof fields]: z.output<(typeof fields)[K]["schema"]> };
type User = z.infer<typeof userSchema> & { id: string };

/**
 * Which cluster platform kubeconfig deploys onto: the current context, a context
 * by name, or the kubeconfig given (its contents are a secret: index.ts reads them
 * as one).
 */
export type ExistingClusterSource = { kind: "current" } | { kind: "context"; name: string } | { kind: "contents" };

/** What every platform and TLS mode shares: every key with its default applied. */
type Common = Omit<Parsed, "platform" | "image" | "kubeconfig" | "kubeContext" | "tlsMode" | "tlsCertificate" | "tlsKey" | "dnsZone" | "users" | "region" | "clusterLocation"> & {
    users: User[];
    /** GCP region of the static IP and the registry (platform gke). */
    region: string;
    /** Zone (zonal cluster) or region (regional cluster). */
    clusterLocation: string;
};

/** Platform gke: the stack makes the cluster, the IP and the registry, and builds the image unless given one. */
export type GkePlatform = { platform: "gke"; gcpProject: string; image?: string; dnsZone?: string };
/** Platform kubeconfig: the network only, onto a cluster the stack does not own, from a prebuilt image. */
export type ExistingPlatform = { platform: "kubeconfig"; image: string; cluster: ExistingClusterSource; kubeconfig?: string };

/** Where the TLS pair clients see comes from. */
export type TlsSource =
    | { tlsMode: "selfSigned" }
    | { tlsMode: "provided"; tlsCertificate: string; tlsKey: string }
    | { tlsMode: "letsEncrypt"; hostname: string; dnsZone: string };

/** The validated stack config; its platform and TLS mode say which keys it has. */
export type CatboxConfig = Common & (GkePlatform | ExistingPlatform) & TlsSource;
export type GkeConfig = Common & GkePlatform & TlsSource;
export type ExistingClusterConfig = Common & ExistingPlatform & TlsSource;

// ---- validation ------------------------------------------------------------

/** How a value appears in an error message: secrets and would-be secrets never do. */
function shown(key: string, raw: RawConfig): string {
    if (raw.secretKeys.has(key)) return "[secret]";
    if ((fields as Record<string, { secret?: string }>)[key]?.secret) return "[not shown]";
    // A certificate's text helps nobody in one line (and a key pasted with it must not show).
    if (key === "tlsCertificate") return "[not shown]";
    const v = raw.values[key];
    // JSON escapes C0 controls; show the invisible rest (C1, Unicode spaces, BOM) as escapes too.
    const oneLine = JSON.stringify(v).replace(/[\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    return oneLine.length > 80 ? oneLine.slice(0, 77) + "…\"" : oneLine;
}

/**
 * Validate the stack config. Throws a ConfigError naming every bad key, its value
 * and what is allowed; returns the typed config otherwise.
 */
export function parseConfig(given: RawConfig): CatboxConfig {
    // An empty value (`key: ""`, or `key:` in a stack file) means the key is not set.
    const raw = { ...given, values: Object.fromEntries(Object.entries(given.values).filter(([, v]) => v !== "")) };
    const problems: string[] = [];
    const bad = new Set<string>();
    const problem = (key: string, message: string) => {
        bad.add(key);
        problems.push(`${project}:${key} = ${key in raw.values ? shown(key, raw) : "(unset)"}: ${message}`);
    };
    const gcpProject = raw.gcp?.project;

    for (const key of Object.keys(raw.values).sort()) {
        if (!(key in fields)) problem(key, `is not a ${project} key (see the README's config table)`);
    }

    // Each key on its own, so that one bad key neither hides another nor keeps
    // the good ones from the cross-key rules below.
    const v: Partial<Parsed> = {};
    for (const key of configKeys) {
        const r = fields[key].schema.safeParse(raw.values[key]);
        if (r.success) (v as Record<string, unknown>)[key] = r.data;
        else problem(key, fields[key].allowed);
    }

    for (const key of configKeys) {
        const f = fields[key] as { secret?: string };
        if (f.secret === "required" && key in raw.values && !raw.secretKeys.has(key)) {
            problem(key, `must be a secret: set it with \`pulumi config set --secret ${project}:${key} …\``);
        }
    }

    const ok = (...keys: string[]) => keys.every((k) => !bad.has(k));
    const set = (key: string) => key in raw.values;

    if (ok("platform", "image") && v.platform === "kubeconfig" && v.image === undefined) {
        problem("image", "is required with platform kubeconfig: a prebuilt catbox image reference (the stack builds no image there)");
    }
    // The committed Pulumi.prod.yaml's placeholder is a valid id in form: refuse it by name.
    if (ok("platform") && v.platform === "gke" && !(gcpProject && /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(gcpProject) && gcpProject !== placeholderProject)) {
        problems.push(`gcp:project = ${gcpProject === undefined ? "(unset)" : JSON.stringify(gcpProject)}: ` +
            "must be your GCP project id with platform gke: `pulumi config set gcp:project <project-id>`");
    }
    // (keepAddress and uptimeAlert have defaults, which Pulumi passes as set: they simply do nothing there.)
    for (const key of ["ciServiceAccount", "alertEmail"]) {
        if (ok("platform", key) && v.platform === "kubeconfig" && set(key)) {
            problem(key, "applies only to platform gke (the stack creates no GCP resource with platform kubeconfig)");
        }
    }
    for (const key of ["kubeconfig", "kubeContext"]) {
        if (ok("platform", key) && v.platform === "gke" && set(key)) {
            problem(key, "applies only to platform kubeconfig; platform gke builds its own from the cluster it creates");
        }
    }
    if (ok("kubeconfig", "kubeContext") && set("kubeconfig") && set("kubeContext")) {
        problem("kubeContext", "cannot be set with kubeconfig: give the kubeconfig's contents, or a context of your own kubeconfig");
    }
    if (ok("platform", "clientServiceType") && v.platform === "gke" && v.clientServiceType !== "LoadBalancer") {
        problem("clientServiceType", "must be LoadBalancer with platform gke (clients reach the network on its static IP)");
    }
    if (ok("clientPort", "linkPort") && set("clientPort") && v.clientPort === v.linkPort) {
        problem("clientPort", `must differ from linkPort (${v.linkPort})`);
    } else if (ok("clientPort", "linkPort") && v.clientPort === v.linkPort) {
        problem("linkPort", `must differ from clientPort (${v.clientPort})`);
    }
    if (ok("pingTime", "deadTime") && parseGoDuration(v.deadTime!) <= parseGoDuration(v.pingTime!)) {
        problem("deadTime", `must be longer than pingTime (${v.pingTime}): a client is pinged before it is declared dead`);
    }
    if (ok("tlsMode", "tlsCertificate", "tlsKey")) {
        if (v.tlsMode === "provided") {
            if (v.tlsCertificate === undefined) problem("tlsCertificate", "is required with tlsMode provided");
            if (v.tlsKey === undefined) problem("tlsKey", "is required with tlsMode provided");
            if (v.tlsCertificate !== undefined && v.tlsKey !== undefined) {
                const pairProblem = checkKeyPair(v.tlsCertificate, v.tlsKey);
                if (pairProblem) problem("tlsCertificate", pairProblem);
            }
        } else {
            for (const k of ["tlsCertificate", "tlsKey"]) {
                if (set(k)) problem(k, `applies only to tlsMode provided (tlsMode is ${v.tlsMode})`);
            }
        }
    }
    if (ok("tlsMode", "platform") && v.tlsMode === "letsEncrypt") {
        // Issued by cert-manager with a DNS-01 challenge on Cloud DNS, through Workload Identity.
        if (v.platform !== "gke") problem("tlsMode", "letsEncrypt needs platform gke (cert-manager answers Let's Encrypt through Cloud DNS)");
        if (ok("hostname") && v.hostname === undefined) problem("hostname", "is required with tlsMode letsEncrypt: the name the certificate is for");
        if (ok("dnsZone") && v.dnsZone === undefined) problem("dnsZone", "is required with tlsMode letsEncrypt: the Cloud DNS zone that proves the name is yours");
    } else if (ok("tlsMode") && set("acmeEmail")) {
        problem("acmeEmail", `applies only to tlsMode letsEncrypt (tlsMode is ${v.tlsMode})`);
    }
    if (ok("dnsZone", "hostname", "platform") && v.dnsZone !== undefined) {
        if (v.hostname === undefined) problem("dnsZone", "needs hostname: the name whose record goes into the zone");
        if (v.platform !== "gke") problem("dnsZone", "applies only to platform gke");
    }
    if (ok("replicas", "serverNames", "serverNamePattern")) {
        const n = v.replicas!;
        if (v.serverNames !== undefined && v.serverNames.length !== n) {
            problem("serverNames", `lists ${v.serverNames.length} name(s) but replicas is ${n}: give one per replica`);
        } else {
            const seen = new Map<string, number>();
            for (let i = 0; i < n; i++) {
                const name = serverName(v.serverNamePattern!, i, v.serverNames).toLowerCase();
                if (seen.has(name)) {
                    problem(v.serverNames ? "serverNames" : "serverNamePattern",
                        `gives daemons ${seen.get(name)} and ${i} the same server name ${name}; IRC server names must be unique (case-insensitively)`);
                    break;
                }
                seen.set(name, i);
            }
        }
    }
    // catbox lower-cases keys and rejects a file that defines one twice.
    if (ok("users") && v.users) {
        const dup = firstDuplicate(v.users.map((u, i) => u.id ?? `user${i}`));
        if (dup) problem("users", `has the id ${dup} twice (ids are case-insensitive); ids must be unique`);
    }
    if (ok("opers") && v.opers) {
        const dup = firstDuplicate(Object.keys(v.opers));
        if (dup) problem("opers", `has the oper ${dup} twice (names are case-insensitive); names must be unique`);
    }

    const region = v.region ?? raw.gcp?.region ?? "us-west1";
    const clusterLocation = v.clusterLocation ?? raw.gcp?.zone ?? `${region}-a`;
    if (ok("region", "clusterLocation") && clusterLocation !== region && !clusterLocation.startsWith(`${region}-`)) {
        problem("clusterLocation", `must be in region ${region} (the static IP and the registry are regional)`);
    }
    // Pods that cannot fit their nodes stay Pending: say so before anything is created.
    const room = nodeRoom[v.machineType ?? ""];
    if (room && v.platform === "gke" && ok("platform", "machineType", "nodeCount", "replicas", "clientsPerPod", "region", "clusterLocation")) {
        const size = podSize(v.clientsPerPod!);
        const perNode = Math.ceil(v.replicas! / nodesTotal(v.nodeCount!, clusterLocation));
        const memory = perNode * (size.memoryMiB + reloaderSize.memoryMiB);
        const cpu = perNode * (size.cpuRequestMilli + reloaderSize.cpuRequestMilli);
        if (memory > room.memoryMiB || cpu > room.cpuMilli) {
            problem("clientsPerPod", `needs ${memory} MiB and ${cpu}m CPU on each node (${perNode} pod(s) of ${size.memoryMiB + reloaderSize.memoryMiB} MiB ` +
                `and ${size.cpuRequestMilli + reloaderSize.cpuRequestMilli}m), but a ${v.machineType} node has about ${room.memoryMiB} MiB and ` +
                `${room.cpuMilli}m left after GKE's own pods: lower clientsPerPod, raise nodeCount or choose a larger machineType (see the README's sizing table)`);
        }
    }

    if (problems.length > 0) throw new ConfigError(problems);

    // The rules above hold what the types below say: this is the one place that decides.
    const p = v as Parsed;
    const common = { ...p, users: (p.users ?? []).map((u, i) => ({ ...u, id: u.id ?? `user${i}` })), region, clusterLocation };
    const platform: GkePlatform | ExistingPlatform = p.platform === "gke"
        ? { platform: "gke", gcpProject: gcpProject!, image: p.image, dnsZone: p.dnsZone }
        : { platform: "kubeconfig", image: p.image!, kubeconfig: p.kubeconfig, cluster: existingCluster(p) };
    return { ...common, ...platform } as CatboxConfig;
}

/** Which cluster platform kubeconfig deploys onto, decided once. */
function existingCluster(p: Parsed): ExistingClusterSource {
    if (p.kubeconfig !== undefined) {
        // A kubeconfig is YAML or JSON over several lines; a single word is a context's name.
        return /\n|apiVersion|\{/.test(p.kubeconfig) ? { kind: "contents" } : { kind: "context", name: p.kubeconfig };
    }
    return p.kubeContext !== undefined ? { kind: "context", name: p.kubeContext } : { kind: "current" };
}

function firstDuplicate(names: string[]): string | undefined {
    const lower = names.map((n) => n.toLowerCase());
    return lower.find((n, i) => lower.indexOf(n) !== i);
}

/** Whether catbox (Go's tls.LoadX509KeyPair) could load this pair; a message if not. */
function checkKeyPair(certPem: string, keyPem: string): string | undefined {
    let cert: X509Certificate;
    try {
        cert = new X509Certificate(certPem);
    } catch {
        return "is not a certificate that can be parsed";
    }
    try {
        if (!cert.checkPrivateKey(createPrivateKey(keyPem))) {
            return "does not match tlsKey (catbox could not load the pair)";
        }
    } catch {
        return "cannot be checked against tlsKey: tlsKey is not a private key that can be parsed";
    }
    return undefined;
}
