// Every key of the stack config, one entry each: its schema (and so its type and
// default), what it means, how a change of it rolls out, what it allows (for the
// error message), where it applies, and whether it must be a secret. Adding a key
// means adding an entry here, then `npm run docs`, which writes Pulumi.yaml's
// config block, the README's config table and docs/updating.md's roll-out table from these entries
// (a test fails while they differ). Pure: no Pulumi import.
import { z } from "zod";
import { serverName } from "../catbox/names";
import {
    bool,
    catboxField,
    catboxValue,
    noControls,
    notNumericTld,
    reservedNamespaces,
    serviceAccountEmail,
    dnsLabelRe,
    durationAllowed,
    email,
    fromJsonObjectEntries,
    fromJsonString,
    goDuration,
    banMaskRe,
    hostMaskRe,
    hostnameRe,
    imageRefRe,
    pinnedImage,
    int,
    operNameRe,
    operPassword,
    serverNameRe,
    spoofRe,
    userMaskRe,
} from "./values";

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

/** The most users.conf entries: the Secret holding every file stays far under Kubernetes' 1 MiB. */
const maxUsers = 1000;

/** A Pulumi stack's name as a StackReference takes it: organization/project/stack, or parts of it. */
const stackNameRe = /^(?:[A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/;

/** The most daemons a network may have. */
export const maxReplicas = 20;

/** Where a key means something; set anywhere else, it is refused with the reason. */
export interface Applies {
    platform?: "gke" | "kubeconfig";
    tlsMode?: "provided" | "letsEncrypt";
    /** Why it means nothing elsewhere. */
    because: string;
}

/** Whether the keys parsed so far say a key with `only` is set where it means nothing. */
export function notWhere(only: Applies, parsed: Partial<Record<"platform" | "tlsMode", string>>): boolean {
    const [dimension, wanted] = only.platform ? (["platform", only.platform] as const) : (["tlsMode", only.tlsMode!] as const);
    return parsed[dimension] !== undefined && parsed[dimension] !== wanted;
}

/** Why such a key is refused there. */
export function appliesOnly(only: Applies, parsed: Partial<Record<"platform" | "tlsMode", string>>, shown = true): string {
    const [dimension, wanted] = only.platform ? (["platform", only.platform] as const) : (["tlsMode", only.tlsMode!] as const);
    const now = shown ? ` (${dimension} is ${parsed[dimension]})` : "";
    return `applies only to ${dimension} ${wanted}${now}: ${only.because}`;
}

const onlyGke: Applies = { platform: "gke", because: "the stack creates no GCP resource with platform kubeconfig" };
const onlyKubeconfig: Applies = { platform: "kubeconfig", because: "platform gke builds its own from the cluster it creates" };
const onlyProvided: Applies = { tlsMode: "provided", because: "the other modes make their own pair" };
const onlyLetsEncrypt: Applies = { tlsMode: "letsEncrypt", because: "it is Let's Encrypt's account contact" };

/**
 * How a change of a key reaches the running network, from the least to the most
 * disruptive: the README's roll-out table is made from these, and a test holds
 * each key to its kind on the resources the program registers.
 */
export const rollouts = {
    reload: {
        happens:
            "only the Secret is updated in place; within a minute or two (kubelet's sync period) kubelet swaps the mounted files and the reloader sends each daemon SIGHUP; catbox rehashes",
        sees: "nothing; new values apply from then on (a broken file is refused by catbox, which keeps the old config and tells the opers)",
    },
    names: {
        happens:
            "DNS records, the certificate (cert-manager's issuer with `letsEncrypt`), the hubs' Services and the servers files change; the certificate and the files reach the daemons by reload",
        sees: "nothing; a new name is usable once its record and certificate are there",
    },
    services: {
        happens: "only Services (and the servers files, reloaded) change; the daemons listen on fixed ports inside the pod",
        sees: "a new client port or address means clients must reconnect to it",
    },
    restart: {
        happens:
            "catbox reads these only at start (or they size the pod): the pod template changes and the pods roll, one at a time (the PDB keeps the rest up)",
        sees: "clients on each daemon are disconnected once as it restarts; they reconnect to any daemon",
    },
    image: {
        happens:
            "`pulumi up` builds and pushes a new image (a changed `configs/Dockerfile` too), or takes the one given; its new digest rolls the pods one at a time",
        sees: "as above",
    },
    replicas: {
        happens:
            "up: a new pod and its link Service; the others keep their names, SIDs and links, and are told of the new one by a reload. Down: the highest pods go; the rest drop their links by reload",
        sees: "up: nothing (the new daemon links once kubelet has synced the Secret to the others, up to about a minute; crossing `nodeCount`, or a longer `serverNames` list, rolls the pods once). Down: clients of removed daemons are disconnected",
    },
    nodes: {
        happens: "the node pool is resized or, for the machine type, replaced node by node (surge 1)",
        sees: "a daemon restarts when its node goes",
    },
    cluster: {
        happens: "the cluster's settings (its maintenance policy, its deletion protection) are updated in place",
        sees: "nothing now; see below",
    },
    beside: {
        happens: "only what stands beside the network changes: alerts, IAM bindings, the address's deletion policy, the prober",
        sees: "nothing",
    },
    replace: {
        happens:
            "what it names is made anew and the old deleted: another cluster, registry or address (`platform`, `region`, `clusterLocation`, `networkName`, the cluster of `kubeconfig` or `kubeContext`) or another namespace (`namespace`)",
        sees: "every client is disconnected, and reconnects to the new network (at a new address unless `existingAddress` keeps it)",
    },
} as const;
export type Rollout = keyof typeof rollouts;

export interface KeyEntry {
    /** Parses the string Pulumi passes; `.default()` gives the key's default. */
    schema: z.ZodType;
    /** What the key means, for the README's config table and Pulumi.yaml (Markdown). */
    description: string;
    /** How a change of it reaches the running network. */
    rollout: Rollout;
    /** The README's default cell for a key whose schema has no default (what applies unset); "none" unless given. */
    unsetText?: string;
    /** What the key allows: the end of its error message. */
    allowed: string;
    /** Must be set with `pulumi config set --secret` (the config check refuses a plain value). */
    secret?: true;
    only?: Applies;
    /** Where in the value the first fault lies, and what it is (without showing the value), instead of `allowed`. */
    fault?: (issue: z.core.$ZodIssue) => string;
}

/** A Compute Engine resource's name, such as a static address's. */
const gceName = z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);

/** A UTC time as GKE returns it (any other form makes a permanent diff). */
const utcTime = (field: string) =>
    z
        .string({ message: `${field} must be a time in GKE's UTC form, YYYY-MM-DDTHH:MM:SSZ` })
        .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, { message: `${field} must be a time in GKE's UTC form, YYYY-MM-DDTHH:MM:SSZ` })
        .refine((s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString().replace(".000Z", "Z") === s, {
            message: `${field} must be a day and time that exist (UTC)`,
        });

/** GKE's longest NO_UPGRADES exclusion. */
const noUpgradesMaxDays = 30;
/** GKE keeps exclusions in a map by name: any text, spaces too, but no control or invisible character. */
const exclusionNameRe = /^(?![\s])[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,64}(?<![\s])$/u;
const exclusionScopes = ["NO_UPGRADES", "NO_MINOR_UPGRADES", "NO_MINOR_OR_NODE_UPGRADES"] as const;
const exclusionSchema = z
    .strictObject(
        {
            name: z
                .string({ message: "name must be text" })
                .regex(exclusionNameRe, { message: "name must be 1 to 64 characters without control characters or edge spaces" }),
            start: utcTime("start"),
            end: utcTime("end"),
            scope: z.enum(exclusionScopes, { message: `scope must be one of ${exclusionScopes.join(", ")}` }).default("NO_UPGRADES"),
        },
        { message: "must be an object of name, start, end and scope (no other field)" },
    )
    .refine((e) => Date.parse(e.end) > Date.parse(e.start), { message: "end must come after start", path: ["end"] })
    .refine((e) => e.scope !== "NO_UPGRADES" || Date.parse(e.end) - Date.parse(e.start) <= noUpgradesMaxDays * 24 * 3600e3, {
        message: `a NO_UPGRADES exclusion (the default scope) lasts at most ${noUpgradesMaxDays} days: end it sooner, or choose a narrower scope`,
        path: ["end"],
    });

/** Where a fault lies in a list of exclusions, and what it is, showing no value (the list may be a secret). */
export function exclusionFault(issue: z.core.$ZodIssue): string {
    const [index, field] = issue.path;
    if (typeof index !== "number") return issue.message;
    const where = `exclusion ${index + 1}`;
    if (issue.code === "unrecognized_keys") return `${where} has a field GKE's exclusions do not (only name, start, end and scope)`;
    return field === undefined ? `${where} ${issue.message}` : `${where}: ${issue.message}`;
}

/** The most entries of `bans`: each daemon's reloader checks them all every round. */
export const maxBans = 500;
/** A K-line's reason: one line of text, as IRC carries it. */
const banReasonRe = /^(?!\s)[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,200}(?<!\s)$/u;
const banSchema = z.strictObject(
    {
        mask: z
            .string({ message: "mask must be text" })
            .max(100, { message: "mask must be at most 100 characters" })
            .regex(banMaskRe, {
                message:
                    "mask must be user@host as catbox takes it: the user of letters, digits and *?~, the host of lower-case letters, digits and .-*? " +
                    "(catbox compares hosts case by case, and they reach it in lower case)",
            }),
        reason: z
            .string({ message: "reason must be text" })
            .regex(banReasonRe, { message: "reason must be 1 to 200 characters without control characters or edge spaces" }),
        expires: utcTime("expires").optional(),
    },
    { message: "must be an object of mask, reason and expires (no other field)" },
);

/** Where in the list of bans a fault lies, and what it is, showing no value (the list may be a secret). */
export function banFault(issue: z.core.$ZodIssue): string {
    const [index, field] = issue.path;
    if (issue.code === "too_big" && index === undefined) return `must hold at most ${maxBans} bans`;
    if (typeof index !== "number") return issue.message;
    const where = `ban ${index + 1}`;
    if (issue.code === "unrecognized_keys") return `${where} has a field a ban does not (only mask, reason and expires)`;
    return field === undefined ? `${where} ${issue.message}` : `${where}: ${issue.message}`;
}

const userSchema = z.strictObject({
    id: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,32}$/)
        .optional(),
    usermask: z.string().max(100).regex(userMaskRe),
    hostmask: z.string().max(100).regex(hostMaskRe),
    floodExempt: z.boolean().default(false),
    spoof: z.string().max(63).regex(spoofRe).default(""),
});

export const keyTable = {
    platform: {
        description: "`gke`: create cluster, IP, registry and image. `kubeconfig`: deploy the network only, onto an existing cluster",
        rollout: "replace",
        schema: z.enum(["gke", "kubeconfig"]).default("gke"),
        allowed: "must be gke (create the cluster) or kubeconfig (deploy onto an existing cluster)",
    },
    kubeconfig: {
        description: "platform `kubeconfig` only: a kubeconfig's contents, **secret** (a context name works too, set as a secret)",
        rollout: "replace",
        unsetText: "current context",
        schema: z.string().min(1).max(1_000_000).optional(),
        allowed: "must be a kubeconfig's contents (or a context name), set as a secret",
        secret: true,
        only: onlyKubeconfig,
    },
    kubeContext: {
        description: "platform `kubeconfig` only: a context of your own kubeconfig, by name, e.g. `kind-irc` (no space or control character)",
        rollout: "replace",
        unsetText: "current context",
        schema: z
            .string()
            .max(253)
            .regex(/^[^\s]+$/)
            .refine(noControls)
            .optional(),
        allowed: "must be the name of a context in your kubeconfig, such as kind-irc (no space or control character)",
        only: onlyKubeconfig,
    },
    image: {
        description:
            "a prebuilt catbox image (its entrypoint must be catbox), a reference of at most 255 characters with a tag other than `latest` or a digest (Kubernetes pulls an untagged or `:latest` image at every start, which fails for one loaded into kind); required with platform `kubeconfig`; with `gke` it skips the registry and the build",
        rollout: "image",
        unsetText: "built",
        schema: z.string().max(255).regex(imageRefRe).refine(pinnedImage).optional(),
        allowed:
            "must be an image reference of at most 255 characters with a tag other than latest or a digest, such as registry.example.org/catbox:v1.13.0 or …@sha256:<digest> " +
            "(an untagged or :latest image is pulled at every start, which fails for one loaded into kind)",
    },
    reloaderImage: {
        description:
            "the reloader container's image, pinned by digest: busybox's `sh`, `nc`, `timeout`, `sleep` (of a fraction of a second), `readlink`, `kill`, `sed`, `awk`, `tr`, `grep`, `sort`, `cut`, `cat`, `mv`, `date`. With platform `gke` the stack copies it into its own Artifact Registry repository and the nodes pull that copy, never Docker Hub",
        rollout: "image",
        schema: z
            .string()
            .max(255)
            .regex(imageRefRe)
            .refine((s) => /@sha256:[a-f0-9]{64}$/.test(s))
            .default(defaultReloaderImage),
        allowed:
            "must be an image reference with busybox's sh, nc, timeout, sleep (of a fraction of a second), readlink, kill, sed, awk, tr, grep, sort, cut, cat, mv and date, pinned by digest, such as busybox:1.37.0@sha256:<digest>",
    },
    proberImage: {
        description:
            "platform `kubeconfig` only: the prober's image, built from [`prober/`](prober/) (`docker build -t catbox-prober:dev prober/`); without it no prober runs there; a tag other than `latest`, or a digest. Platform `gke` builds it into the stack's registry",
        rollout: "beside",
        schema: z.string().max(255).regex(imageRefRe).refine(pinnedImage).optional(),
        allowed:
            "must be an image reference of at most 255 characters with a tag other than latest or a digest, such as catbox-prober:dev (built from prober/)",
        only: onlyKubeconfig,
    },
    webImage: {
        description:
            "platform `kubeconfig` only, with `webClient`: the web client's image, built from [`web/`](web/) (`docker build -t catbox-web:dev web/`); a tag other than `latest`, or a digest. Platform `gke` builds it into the stack's registry",
        rollout: "beside",
        schema: z.string().max(255).regex(imageRefRe).refine(pinnedImage).optional(),
        allowed:
            "must be an image reference of at most 255 characters with a tag other than latest or a digest, such as catbox-web:dev (built from web/)",
        only: onlyKubeconfig,
    },
    servicesImage: {
        description:
            "platform `kubeconfig` only, with `services`: the services' image, built from [`services/`](services/) (`docker build -t catbox-services:dev services/`); a tag other than `latest`, or a digest. Platform `gke` builds it into the stack's registry",
        rollout: "beside",
        schema: z.string().max(255).regex(imageRefRe).refine(pinnedImage).optional(),
        allowed:
            "must be an image reference of at most 255 characters with a tag other than latest or a digest, such as catbox-services:dev (built from services/)",
        only: onlyKubeconfig,
    },
    catboxVersion: {
        description:
            "the catbox tag (vX.Y.Z) or commit the image is built from; never a branch. The default is a commit, catbox's newest: the last tag, v1.13.0, refuses every client that negotiates TLS 1.3 (irssi, WeeChat, HexChat, and Node's and Python's TLS by default), and the client port speaks only TLS; commit 8c414e2, after the tag, added TLS 1.3",
        rollout: "image",
        schema: z
            .string()
            .regex(/^(v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?|[0-9a-f]{12,40})$/)
            .default(defaultCatboxVersion),
        allowed: "must be a catbox release tag (vX.Y.Z) or a commit hash (12–40 hex digits); never a branch such as master",
    },
    region: {
        description: "region of the static IP and the registry",
        rollout: "replace",
        unsetText: "`gcp:region`, else `us-west1`",
        schema: z
            .string()
            .regex(/^[a-z]+-[a-z]+\d+$/)
            .optional(),
        allowed: "must be a GCP region such as us-west1",
        only: onlyGke,
    },
    clusterLocation: {
        description: "a zone (zonal cluster) or the region (regional cluster, `nodeCount` nodes in each of 3 zones)",
        rollout: "replace",
        unsetText: "`gcp:zone`, else `<region>-a`",
        schema: z
            .string()
            .regex(/^[a-z]+-[a-z]+\d+(-[a-z])?$/)
            .optional(),
        allowed: "must be a zone of the region (zonal cluster, e.g. us-west1-a) or the region itself (regional cluster)",
        only: onlyGke,
    },
    machineType: {
        description: "node machine type; `f1-micro` and `e2-micro` (too small for GKE's own pods) and `g1-small` (legacy) are rejected",
        rollout: "nodes",
        schema: z
            .string()
            .max(63)
            .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)+$/)
            .refine((m) => !["f1-micro", "g1-small", "e2-micro"].includes(m))
            .default("e2-small"),
        allowed:
            "must be a GCE machine type such as e2-small; f1-micro and e2-micro (too small for GKE's own pods) and g1-small (legacy) are not allowed",
        only: onlyGke,
    },
    nodeCount: {
        description: "nodes in the pool (per zone when regional), 1–100",
        rollout: "nodes",
        schema: int(1, 100).default(2),
        allowed: "must be a whole number from 1 to 100",
        only: onlyGke,
    },
    spotNodes: {
        description: "Spot VMs: 60–91% cheaper, but Google may reclaim a node at any time (its daemon restarts elsewhere)",
        rollout: "nodes",
        schema: bool().default(false),
        allowed: "must be true or false",
        only: onlyGke,
    },
    deletionProtection: {
        description: "GKE's deletion protection on the cluster",
        rollout: "cluster",
        schema: bool().default(true),
        allowed: "must be true or false",
        only: onlyGke,
    },
    namespace: {
        description: "Kubernetes namespace; not `default`, `kube-system`, `kube-public`, `kube-node-lease` or `cert-manager`",
        rollout: "replace",
        schema: z
            .string()
            .max(63)
            .regex(dnsLabelRe)
            .refine((ns) => !reservedNamespaces.includes(ns))
            .default("irc"),
        allowed:
            "must be a DNS label: lower-case letters, digits and '-', starting with a letter, at most 63 characters, " +
            `and none of ${reservedNamespaces.join(", ")} (the system's and cert-manager's)`,
    },
    replicas: {
        description: "catbox daemons, 1–20",
        rollout: "replicas",
        schema: int(1, maxReplicas).default(2),
        allowed: `must be a whole number from 1 to ${maxReplicas}`,
    },
    networkName: {
        description: "names the StatefulSet (pods `catbox-0`, …), Services, cluster and registry",
        rollout: "replace",
        schema: z.string().max(40).regex(dnsLabelRe).default("catbox"),
        allowed: "must be a DNS label: lower-case letters, digits and '-', starting with a letter, at most 40 characters",
    },
    serverNamePattern: {
        description: "daemon n's server name; must contain `{n}` and a dot; lower case only (catbox never links a server whose name has a capital)",
        rollout: "restart",
        schema: z
            .string()
            .includes("{n}")
            .refine((p) => serverNameRe.test(serverName(p, maxReplicas - 1)))
            .default("irc{n}.example.org"),
        allowed:
            "must contain {n} and give lower-case host names with at least one dot, at most 63 characters (e.g. irc{n}.example.org); " +
            "catbox never links a server whose name has a capital",
    },
    serverNames: {
        description:
            "instead of the pattern, one lower-case name per replica, e.g. to keep an existing network's names: `pulumi config set --path 'catbox-gke:serverNames[0]' hub.example.org`, then `[1]`, …",
        rollout: "restart",
        schema: z.preprocess(fromJsonString, z.array(z.string().regex(serverNameRe)).min(1)).optional(),
        allowed:
            "must be a list of server names, one per replica: lower-case host names with a dot, at most 63 characters; " +
            "catbox never links a server whose name has a capital",
    },
    regionNumber: {
        description:
            "0–9, different in every region of one network (see [One network, several regions](docs/regions.md#one-network-several-regions)): the first digit of each daemon's TS6 SID, which must be unique network-wide. Only with `peers` (refused otherwise). A change restarts every daemon",
        rollout: "restart",
        schema: int(0, 9).default(0),
        allowed:
            "must be a whole number from 0 to 9, different in every region of the network: it starts each daemon's TS6 SID, which must be unique network-wide",
    },
    hubs: {
        description:
            "how many daemons (the first ones) link to the peer regions' hubs; more than `replicas` means all. Only with `peers` (refused otherwise)",
        rollout: "names",
        schema: int(1, maxReplicas).default(2),
        allowed: "must be a whole number from 1 to 20: how many daemons (the first ones) link to the peer regions",
    },
    peers: {
        description:
            "platform `gke`: a JSON list of the other regions' stacks, e.g. `[\"my-org/catbox-gke/prod-eu\"]`; the stack reads each one's `linkEndpoints` output and refuses, before creating anything, a peer with the same `regionNumber` or a server name of its own. Needs `dnsZone`, `linkSecret` set (the same in every region's stack) and `tlsMode` `letsEncrypt` with `acmeServer` `production` (or `provided` with a publicly trusted certificate that holds every hub's server name): links between regions are TLS only, verified by name. Refused too: this stack itself, a stack twice, a hub's name equal to `hostname` or `sharedHostname` (one DNS record a name), and a hub's name outside `dnsZone` (its A record goes there)",
        rollout: "names",
        schema: z
            .preprocess(
                fromJsonString,
                z
                    .array(
                        z
                            .string()
                            .regex(stackNameRe)
                            .refine((ref) => ref.split("/").every((part) => part.length <= 100)),
                    )
                    .min(1)
                    .max(9),
            )
            .optional(),
        allowed:
            'must be a JSON list of 1 to 9 other regions\' stacks, such as ["my-org/catbox-gke/prod-eu"] ' +
            "(organization/project/stack, or a stack's own name): letters, digits, '-', '_' and '.', each part at most 100 characters",
        only: onlyGke,
    },
    sharedHostname: {
        description:
            "platform `gke`, with `peers`: the whole network's name (e.g. `irc.example.org`, inside `dnsZone`), answered by region; with `tlsMode: letsEncrypt`, every region's certificate holds it",
        rollout: "names",
        schema: z.string().max(253).regex(hostnameRe).refine(notNumericTld).optional(),
        allowed: "must be the lower-case host name of the whole network, such as irc.example.org, answered by region (not an IP address)",
        only: onlyGke,
    },
    sharedNameOwner: {
        description:
            "platform `gke`: this stack writes the shared name's record: a Cloud DNS geolocation policy over every region's client address (its own, and each peer's `clientEndpoint` output), each health-checked by TCP on the client port. One region of the network sets it",
        rollout: "names",
        schema: bool().default(false),
        allowed: "must be true (this stack writes the shared name's record, over every region's client address) or false",
        only: onlyGke,
    },
    serverInfo: {
        description:
            "the WHOIS line, at most 80 characters, and no more bytes than catbox's 512-byte WHOIS line leaves beside two of the longest server name and nick",
        rollout: "restart",
        schema: catboxValue(80).default("IRC"),
        allowed: "must be one line of 1 to 80 characters without '#', '=', control characters or leading/trailing spaces",
    },
    motd: {
        description:
            "message of the day, one line of at most 400 characters, and no more bytes than catbox's 512-byte line leaves beside the longest server name and nick (475 with the defaults: fewer characters of `€` or emoji); never a private key",
        rollout: "reload",
        schema: catboxValue(400).default("Hello this is catbox"),
        allowed: "must be one line of 1 to 400 characters without '#', '=', control characters or leading/trailing spaces",
    },
    ciServiceAccount: {
        description:
            "platform `gke`: the email of CI's deployer service account; the stack lets it act as the nodes' service account (GKE asks that of whoever changes a node pool) and as no other (see [CI](docs/ci.md#ci-preview-on-pull-requests-up-on-main))",
        rollout: "beside",
        schema: serviceAccountEmail().optional(),
        allowed: "must be the email of the CI deployer's service account, such as pulumi-ci@my-project.iam.gserviceaccount.com",
        only: onlyGke,
    },
    previewServiceAccount: {
        description:
            "platform `gke`: the email of CI's preview account; the stack grants it, in the cluster, reads of the network's own objects (in its namespace and cert-manager's, and its own cluster-scoped objects by name), never a write (pulumi-kubernetes previews on the client when a dry run is forbidden) (see [CI](docs/ci.md#ci-preview-on-pull-requests-up-on-main))",
        rollout: "beside",
        schema: serviceAccountEmail().optional(),
        allowed: "must be the email of the service account pull requests preview with, such as pulumi-preview@my-project.iam.gserviceaccount.com",
        only: onlyGke,
    },
    keepAddress: {
        description: "platform `gke`: `pulumi destroy` (or a replacement) leaves the static IP in the project, for clients' DNS; `false` releases it",
        rollout: "beside",
        schema: bool().default(true),
        allowed: "must be true (pulumi destroy leaves the static IP in the project) or false (destroy releases it)",
        only: onlyGke,
    },
    // GKE upgrades nodes (restarting their daemons) only inside this weekly window, in UTC.
    webClient: {
        description:
            "serve [The Lounge](https://thelounge.chat), a web IRC client, in public mode and locked to this network (see [The web client](docs/web.md#the-web-client)). On platform `gke`: at `https://<webHostname>/` on a static IP of its own, with a certificate browsers trust (`letsEncrypt`, or `provided` holding `webHostname`); on `kubeconfig`: the ClusterIP Service `<networkName>-web`, plain HTTP on port 80, for your own ingress to expose. Off by default: it costs a static IP and a load balancer (about $25 a month) and a pod",
        rollout: "beside",
        schema: bool().default(false),
        allowed: "must be true (serve the web client) or false",
    },
    webHostname: {
        description:
            "platform `gke`, with `webClient`: the name the web client is served at, lower case; its A record goes into `dnsZone` (without one, the output `webDnsRecordToCreate` is the record to create), and with `letsEncrypt` the certificate holds it",
        rollout: "names",
        unsetText: "`web.<hostname>`",
        schema: z.string().max(253).regex(hostnameRe).refine(notNumericTld).optional(),
        allowed: "must be a lower-case host name such as web.irc.example.org (not an IP address: its last label has a letter)",
        only: onlyGke,
    },
    webReverseProxy: {
        description:
            "platform `kubeconfig`, with `webClient`: your ingress sets `X-Forwarded-For`, and The Lounge takes each user's address from its first entry (for the ident opers ban by). Only behind a proxy that overwrites the header: a client could otherwise choose its own",
        rollout: "beside",
        schema: bool().default(false),
        allowed: "must be true (behind a proxy that sets X-Forwarded-For) or false",
        only: { platform: "kubeconfig", because: "on gke the web client is reached directly, through a passthrough load balancer" },
    },
    services: {
        description:
            "run IRC services ([Atheme](https://atheme.github.io) 7.2): NickServ, ChanServ and OperServ, linked to the network as a server of their own, their database on a persistent volume and, on platform `gke`, copied to a versioned Cloud Storage bucket after every save (see [IRC services](docs/services.md#irc-services)). In a network of regions, one region runs them. Off by default: a pod, a volume and a bucket, and users must learn the commands",
        rollout: "reload",
        schema: bool().default(false),
        allowed: "must be true (run IRC services) or false",
    },
    servicesName: {
        description: "with `services`: their server name, lower case; never a daemon's",
        rollout: "reload",
        unsetText: "`services.` and the server names' domain",
        schema: z.string().max(63).regex(serverNameRe).optional(),
        allowed: "must be a lower-case server name with a dot, at most 63 characters, such as services.example.org",
    },
    servicesExpireDays: {
        description: "with `services`: days before a nick or channel nobody has used expires, 0 for never",
        rollout: "beside",
        schema: int(0, 3650).default(90),
        allowed: "must be a whole number of days from 0 (never) to 3650",
    },
    keepServicesBackup: {
        description:
            "platform `gke`, with `services`: `pulumi destroy` leaves the backup bucket (and every copy of the database in it) in the project; `false` deletes it with the stack",
        rollout: "beside",
        schema: bool().default(true),
        allowed: "must be true (destroy keeps the backups) or false (destroy deletes them)",
        only: onlyGke,
    },
    maintenanceDays: {
        description:
            "platform `gke`: the days GKE may upgrade nodes, UTC, as `MO,TU,WE,TH,FR,SA,SU` (see [How changes roll out](docs/updating.md#how-changes-roll-out))",
        rollout: "cluster",
        schema: z
            .string()
            .regex(/^(MO|TU|WE|TH|FR|SA|SU)(,(MO|TU|WE|TH|FR|SA|SU))*$/)
            .refine((days) => new Set(days.split(",")).size === days.split(",").length)
            .default("TU,WE,TH"),
        allowed: "must be days of the week, comma-separated, each once, as RFC 5545 writes them: MO,TU,WE,TH,FR,SA,SU (UTC)",
        only: onlyGke,
    },
    maintenanceStart: {
        description: "platform `gke`: when the window opens, `HH:MM` UTC",
        rollout: "cluster",
        schema: z
            .string()
            .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
            .default("03:00"),
        allowed: "must be a time of day in UTC, HH:MM, such as 03:00",
        only: onlyGke,
    },
    maintenanceHours: {
        description: "platform `gke`: how long it stays open, 4–24 hours; days × hours × 4 must reach GKE's 48 hours in any 32 days",
        rollout: "cluster",
        schema: int(4, 24).default(6),
        allowed: "must be a whole number of hours from 4 to 24 (GKE counts only windows of 4 hours or more)",
        only: onlyGke,
    },
    maintenanceExclusions: {
        description:
            'platform `gke`: JSON list of `{"name","start","end","scope"}`: no upgrades from `start` to `end` (`YYYY-MM-DDTHH:MM:SSZ`); `scope` `NO_UPGRADES` (default, at most 30 days), `NO_MINOR_UPGRADES` or `NO_MINOR_OR_NODE_UPGRADES`; at most 20, each `name` its own (up to 64 characters, spaces allowed: GKE keeps exclusions by name)',
        rollout: "cluster",
        schema: z
            .preprocess(
                fromJsonString,
                z
                    .array(exclusionSchema, { message: 'must be a JSON list of {"name", "start", "end", "scope"?}' })
                    .max(20, { message: "holds more than the 20 exclusions GKE keeps" })
                    .refine((list) => new Set(list.map((e) => e.name)).size === list.length, {
                        message: "gives two exclusions one name: GKE keeps them by name, so one would replace the other",
                    }),
            )
            .optional(),
        allowed:
            'must be a JSON list of at most 20 {"name", "start", "end", "scope"?}, names unique: start and end as ' +
            "YYYY-MM-DDTHH:MM:SSZ, end after start; scope NO_UPGRADES (the default, at most 30 days), NO_MINOR_UPGRADES or NO_MINOR_OR_NODE_UPGRADES",
        fault: exclusionFault,
        only: onlyGke,
    },
    existingAddress: {
        description:
            "platform `gke`: the name of a static address already in the project and region (one a destroyed stack kept: see [Destroying it](docs/destroy.md#destroying-it)); the stack uses it instead of making one, and never releases it (`keepAddress` cannot be `false` with it)",
        rollout: "services",
        schema: gceName.optional(),
        allowed: "must be the name of a regional static address in the stack's project and region (gcloud compute addresses list)",
        only: onlyGke,
    },
    existingHubAddresses: {
        description:
            "platform `gke`, with `peers`: a JSON list of the names of static addresses already in the project and region, hub 0's first (those a destroyed region kept); each hub takes up its own instead of making one, and never releases it (`keepAddress` cannot be `false` with it)",
        rollout: "names",
        schema: z.preprocess(fromJsonString, z.array(gceName).min(1).max(maxReplicas)).optional(),
        allowed:
            "must be a JSON list of the names of regional static addresses in the stack's project and region, hub 0's first, " +
            'such as ["catbox-us-hub-0-ip"] (gcloud compute addresses list)',
        only: onlyGke,
    },
    uptimeAlert: {
        description:
            "platform `gke`: a Cloud Monitoring uptime check connects to the client port on the static IP every minute, and an alert policy emails `alertEmail` when more than one checker location fails",
        rollout: "beside",
        schema: bool().default(true),
        allowed: "must be true (a Cloud Monitoring uptime check and alert on the client port) or false",
        only: onlyGke,
    },
    alertEmail: {
        description: "who the uptime alert emails; with neither set, incidents show in Cloud Monitoring only",
        rollout: "beside",
        unsetText: "`adminEmail`",
        schema: email().optional(),
        allowed: "must be an email address of at most 254 characters",
        only: onlyGke,
    },
    adminEmail: {
        description:
            "shown in some errors; the Let's Encrypt contact unless `acmeEmail` is set, then not at `example.com`, `.net` or `.org` (Let's Encrypt refuses them)",
        rollout: "reload",
        schema: email().optional(),
        allowed: "must be an email address of at most 254 characters",
    },
    maxNickLength: {
        description: "6–99: the stack's own clients (the prober, the reloaders) take nicks of up to 6 characters, which catbox would cut",
        rollout: "restart",
        schema: int(6, 99).default(9),
        allowed:
            "must be a whole number from 6 to 99 (the stack's own clients take nicks of up to 6 characters: catbox would cut them, and two would collide)",
    },
    // A dead peer (or client) is noticed within deadTime; a live client answers the
    // PING sent at pingTime idle long before deadTime.
    pingTime: {
        description:
            "Go duration (read as Go reads it: `+15s`, `.5m`, `1000000µs` too), 1s to 24h: idle time before a client or a linked server is pinged",
        rollout: "reload",
        schema: goDuration().default("15s"),
        allowed: durationAllowed("15s, 2m or 1h30m"),
    },
    deadTime: {
        description:
            "Go duration, 1s to 24h: idle time before a client or linked server is dropped; longer than `pingTime`. A frozen or unreachable peer daemon is noticed (a netsplit) within this time; a live client answers the PING sent at `pingTime` long before it",
        rollout: "reload",
        schema: goDuration().default("45s"),
        allowed: durationAllowed("45s or 4m"),
    },
    connectAttemptTime: {
        description:
            "Go duration, 1s to 24h: how long a daemon waits between link attempts. 1s forms any network of up to 5 daemons within 3 s (see [How fast the network forms](docs/network.md#how-fast-the-network-forms)); catbox's own default, 60s, takes minutes. While a peer is down, each daemon tries it once per this time and logs two lines per try",
        rollout: "reload",
        schema: goDuration().default("1s"),
        allowed: durationAllowed("1s"),
    },
    clientsPerPod: {
        description:
            "clients each daemon holds in normal operation, 50–5000: sets each pod's memory, CPU and catbox's `GOMEMLIMIT`, with room for the clients of a pod that dies (see [Sizing](docs/sizing.md#sizing-clients-memory-cpu-nodes)); refused where the pods would not fit the nodes",
        rollout: "restart",
        schema: int(50, 5000).default(100),
        allowed:
            "must be a whole number from 50 to 5000: the clients each daemon holds in normal operation (it sizes the pods, with room for a dead pod's share)",
    },
    clientPort: {
        description: "public TLS port on the static IP",
        rollout: "services",
        schema: int(1, 65535).default(7000),
        allowed: "must be a port number from 1 to 65535",
    },
    linkPort: {
        description: "in-cluster link (and plaintext) port",
        rollout: "services",
        schema: int(1, 65535).default(6667),
        allowed: "must be a port number from 1 to 65535",
    },
    exposePlaintext: {
        description: "also publish `linkPort` to clients, unencrypted",
        rollout: "services",
        schema: bool().default(false),
        allowed: "must be true or false",
    },
    clientServiceType: {
        description: "`LoadBalancer`, or `NodePort` (platform `kubeconfig` only)",
        rollout: "services",
        schema: z.enum(["LoadBalancer", "NodePort"]).default("LoadBalancer"),
        allowed: "must be LoadBalancer or NodePort",
    },
    clusterDomain: {
        description: "the cluster's DNS domain, for the link host names",
        rollout: "reload",
        schema: z
            .string()
            .max(253)
            .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/)
            .default("cluster.local"),
        allowed: "must be the cluster's DNS domain, such as cluster.local (labels of at most 63 characters)",
    },
    tlsMode: {
        description:
            "`selfSigned` (generated, renewed by `pulumi up` 30 days before it expires), `provided`, or `letsEncrypt`: a certificate every client trusts, issued and renewed in the cluster by cert-manager for `hostname` (platform `gke`, needs `dnsZone`; see [Trusted TLS](docs/tls.md#trusted-tls-with-lets-encrypt))",
        rollout: "restart",
        schema: z.enum(["selfSigned", "provided", "letsEncrypt"]).default("selfSigned"),
        allowed:
            "must be selfSigned (generate a certificate), provided (use tlsCertificate and tlsKey) " +
            "or letsEncrypt (issued and renewed in the cluster for hostname; needs dnsZone)",
    },
    hostname: {
        description:
            "the name clients connect to, lower case (`irc.example.org`), not an IP address; with `letsEncrypt`, a name it issues for (as `acmeEmail`'s domain: so are `sharedHostname` and the server names); `ircUrl` becomes `ircs://<hostname>:<clientPort>`. Without `dnsZone`, the output `dnsRecordToCreate` is the record to create at your DNS provider",
        rollout: "names",
        schema: z.string().max(253).regex(hostnameRe).refine(notNumericTld).optional(),
        allowed: "must be the lower-case host name clients connect to, such as irc.example.org (not an IP address: its last label has a letter)",
    },
    dnsZone: {
        description:
            "platform `gke`: the name of the Cloud DNS managed zone, in the stack's project, that holds `hostname`; the stack writes `hostname`'s A record there. The stack reads the zone before it creates anything and refuses a `hostname` outside it",
        rollout: "names",
        schema: z.string().max(63).regex(dnsLabelRe).optional(),
        allowed: "must be the name (not the DNS name) of a Cloud DNS managed zone in the stack's project, such as example-org",
        only: onlyGke,
    },
    acmeEmail: {
        description:
            "with `letsEncrypt`: the contact on the Let's Encrypt account; not at `example.com`, `.net` or `.org`, nor at a domain Let's Encrypt refuses (under `.internal`, `.local`, `.lan`, `.corp`, `.home`, `.test`, `.invalid`, `.example` and other non-public names, a label with `--` that is no valid punycode, more than 10 labels); a local part with no dot first, last or twice",
        rollout: "names",
        unsetText: "`adminEmail`",
        schema: email().optional(),
        allowed: "must be an email address: Let's Encrypt's account contact",
        only: onlyLetsEncrypt,
    },
    acmeServer: {
        description: "with `letsEncrypt`: `production`, or `staging` (untrusted certificates, generous rate limits) to try it out first",
        rollout: "names",
        schema: z.enum(["production", "staging"]).default("production"),
        allowed: "must be production (trusted certificates) or staging (untrusted, generous rate limits: for trying out)",
    },
    tlsCertificate: {
        description:
            "PEM certificate chain; required with `provided`; checked against the key, which must be ECDSA P-256, P-384 or P-521, Ed25519, or RSA of 2048 bits or more (what Go's TLS serves to today's clients); refused when expired or not yet valid, when it does not hold `hostname` (a wildcard does), with an extended key usage without `serverAuth`, or with a key usage TLS 1.2 cannot use (ECDSA and Ed25519 need `digitalSignature`; RSA `digitalSignature` or `keyEncipherment`)",
        rollout: "reload",
        // Exported in plain text (the tlsCertificate output): a key pasted with it would leak.
        schema: z
            .string()
            .max(100_000)
            .regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/)
            .refine((s) => !/PRIVATE KEY/.test(s))
            .optional(),
        allowed:
            "must be a PEM certificate (chain), -----BEGIN CERTIFICATE----- …, at most 100,000 characters, and no private key " +
            "(it is stored and exported in plain text: the key goes in tlsKey, as a secret)",
        only: onlyProvided,
    },
    tlsKey: {
        description: "PEM private key, **secret**; required with `provided`",
        rollout: "reload",
        schema: z
            .string()
            .max(20_000)
            .regex(/-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (RSA |EC )?PRIVATE KEY-----/)
            .optional(),
        allowed: "must be a PEM private key, -----BEGIN PRIVATE KEY----- …, at most 20,000 characters",
        secret: true,
        only: onlyProvided,
    },
    opers: {
        description:
            '**secret** JSON object, oper name → password, e.g. `{"alice":"…"}`. Names: 1–32 lower-case letters, digits, `_`, `-` (catbox never opers a name with a capital), and not `relinker` (the stack\'s own, for the hubs of a network of regions). Passwords: 1–128 characters, no space, and not starting with `:` (`/oper name password` could not send them)',
        rollout: "reload",
        schema: z
            .preprocess(
                fromJsonObjectEntries,
                z
                    .array(z.tuple([z.string().regex(operNameRe), operPassword()]))
                    // Each name once: catbox refuses an opers file that names one twice.
                    .refine((entries) => new Set(entries.map(([name]) => name.toLowerCase())).size === entries.length)
                    .transform((entries): Record<string, string> => Object.fromEntries(entries)),
            )
            .optional(),
        allowed:
            "must be a JSON object of oper name (1 to 32 lower-case letters, digits, '_', '-': catbox never matches a capital) " +
            "to password (1 to 128 characters, no space, ',', '#', '=' or control character, not starting with ':', which /oper cannot send); " +
            "each name once",
        secret: true,
    },
    users: {
        description:
            'JSON list of `{"usermask","hostmask","floodExempt","spoof","id"}` (catbox\'s users.conf): e.g. `[{"usermask":"*","hostmask":"*.example.org","floodExempt":true}]`; at most 1000 (every daemon\'s files share one Secret, which Kubernetes caps at 1 MiB)',
        rollout: "reload",
        // Every daemon's files share one Secret, which Kubernetes caps at 1 MiB: 1000 users of at most ~300 bytes fit.
        schema: z.preprocess(fromJsonString, z.array(userSchema).max(maxUsers)).optional(),
        allowed:
            "must be a JSON list of {usermask, hostmask, floodExempt?, spoof?, id?}: usermask of letters, digits and *?~; " +
            "hostmask of letters, digits and .-*?; each at most 100 characters; spoof a host name of at most 63 characters, or empty; " +
            `at most ${maxUsers} of them (they share the config Secret, which Kubernetes caps at 1 MiB)`,
    },
    bans: {
        description:
            'JSON list of K-lines that hold: `[{"mask":"*@203.0.113.7","reason":"spam","expires":"2027-01-01T00:00:00Z"}]` (`expires` optional, UTC). Each daemon\'s reloader applies them as the stack\'s oper when catbox starts and whenever the list changes, and lifts one removed from the list or past its `expires`, all within 30 s; at most 500. catbox matches a mask anywhere in the user name and host (`*@10.0.0.1` bans 10.0.0.10 too: see [Bans that hold](docs/bans.md#bans-that-hold))',
        rollout: "reload",
        schema: z
            .preprocess(
                fromJsonString,
                z
                    .array(banSchema)
                    .max(maxBans)
                    // Each mask once: catbox keeps one K-line per mask, so a second would never be lifted alone.
                    .refine((bans) => new Set(bans.map((b) => b.mask)).size === bans.length, { message: "names one mask twice: each mask once" }),
            )
            .optional(),
        allowed:
            "must be a JSON list of {mask, reason, expires?}: mask user@host (user of letters, digits and *?~; host of lower-case letters, digits and .-*?), " +
            `reason 1 to 200 characters, expires a UTC time YYYY-MM-DDTHH:MM:SSZ; each mask once, at most ${maxBans}`,
        fault: banFault,
    },
    linkSecret: {
        description: "**secret** from which every pair of daemons' link password is derived (HMAC); at least 16 characters",
        rollout: "reload",
        unsetText: "generated",
        schema: catboxField(256).min(16).optional(),
        allowed: "must be 16 to 256 characters without ',', '#', '=', control characters or edge spaces",
        secret: true,
    },
} satisfies Record<string, KeyEntry>;

export type ConfigKey = keyof typeof keyTable;
export const configKeys = Object.keys(keyTable) as ConfigKey[];
export const entryOf = (key: ConfigKey): KeyEntry => keyTable[key];
export const isConfigKey = (key: string): key is ConfigKey => Object.hasOwn(keyTable, key);

/**
 * Keys whose values must be secrets. None has a default, so Pulumi.yaml cannot
 * declare them (the CLI would require them in every stack): the config check
 * refuses a plain value for one.
 */
export const secretConfigKeys: ReadonlySet<string> = new Set(configKeys.filter((k) => entryOf(k).secret));

/** A key's default: what its schema makes of no value (undefined where it has none). */
export const defaultOf = (key: ConfigKey): unknown => entryOf(key).schema.safeParse(undefined).data;

/** Each key's default (undefined where it has none), as Pulumi.yaml must declare it. */
export function configDefaults(): Record<string, unknown> {
    return Object.fromEntries(configKeys.map((k) => [k, defaultOf(k)]));
}

/** Every key, parsed, with its default applied. */
export type Parsed = { [K in ConfigKey]: z.output<(typeof keyTable)[K]["schema"]> };
export type User = z.infer<typeof userSchema> & { id: string };
