// The rules that span keys, each a named check. They run after every key has
// been parsed on its own, and judge only keys that parsed, so that one bad key
// neither hides another nor makes a rule report nonsense. Pure: no Pulumi import.
import { createPrivateKey, KeyObject, X509Certificate } from "node:crypto";
import { klineMatches, reloaderIdentity } from "../bans/banList";
import { relinkerOper, serverNames } from "../catbox/files";
import { servicesServerName } from "../catbox/names";
import { nodeRoom, nodesTotal, pack, stackPods } from "../catbox/sizing";
import { Applies, appliesOnly, ConfigKey, configKeys, defaultOf, entryOf, notWhere, Parsed, placeholderProject } from "./keys";
import { letsEncryptNameProblem, parseGoDuration, webHostnameOf } from "./values";

/** What a check sees of the config, and how it reports. */
export interface RuleContext {
    /** The keys that parsed, with their defaults. */
    parsed: Partial<Parsed>;
    /** The gcp provider's own config. */
    gcp: { project?: string; region?: string; zone?: string };
    /** This stack's name, where known. */
    stack?: string;
    /** When the check runs: a provided certificate must be valid now. */
    now: Date;
    /** The GCP region and cluster location, from config or the gcp provider's. */
    region: string;
    clusterLocation: string;
    /** Whether the stack sets this key (an empty value is unset). */
    isSet(key: ConfigKey): boolean;
    /** Whether every one of these keys parsed. */
    valid(...keys: ConfigKey[]): boolean;
    /**
     * Whether a message may show these keys' values, or figures made from them:
     * not when one was set with --secret (its text, length or arithmetic would tell it).
     */
    shows(...keys: ConfigKey[]): boolean;
    problem(key: ConfigKey, message: string): void;
    /** A problem with a key of another provider (gcp:project). */
    foreignProblem(line: string): void;
}

export type Rule = (c: RuleContext) => void;

/** A key set where it means nothing: refused, so that nobody believes it did something. */
const appliesWhereItMeansSomething: Rule = (c) => {
    for (const key of configKeys) {
        const only: Applies | undefined = entryOf(key).only;
        // A key at its default is not set by anyone (Pulumi passes Pulumi.yaml's defaults as values).
        if (!only || !c.isSet(key) || isDefault(key, c.parsed[key])) continue;
        const dimension = only.platform ? "platform" : "tlsMode";
        if (c.valid(dimension, key) && notWhere(only, c.parsed)) c.problem(key, appliesOnly(only, c.parsed, c.shows(dimension)));
    }
};

/** What each platform needs: an image to run, a project to build in, one way to reach the cluster. */
const platformRules: Rule = (c) => {
    const { parsed } = c;
    if (c.valid("platform", "image") && parsed.platform === "kubeconfig" && parsed.image === undefined) {
        c.problem("image", "is required with platform kubeconfig: a prebuilt catbox image reference (the stack builds no image there)");
    }
    // The committed Pulumi.prod.yaml's placeholder is a valid id in form: refuse it by name.
    const gcpProject = c.gcp.project;
    if (
        c.valid("platform") &&
        parsed.platform === "gke" &&
        !(gcpProject && /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(gcpProject) && gcpProject !== placeholderProject)
    ) {
        c.foreignProblem(
            `gcp:project = ${gcpProject === undefined ? "(unset)" : JSON.stringify(gcpProject)}: ` +
                "must be your GCP project id with platform gke: `pulumi config set gcp:project <project-id>`",
        );
    }
    if (c.valid("kubeconfig", "kubeContext") && c.isSet("kubeconfig") && c.isSet("kubeContext")) {
        c.problem("kubeContext", "cannot be set with kubeconfig: give the kubeconfig's contents, or a context of your own kubeconfig");
    }
    if (c.valid("platform", "clientServiceType") && parsed.platform === "gke" && parsed.clientServiceType !== "LoadBalancer") {
        c.problem("clientServiceType", "must be LoadBalancer with platform gke (clients reach the network on its static IP)");
    }
    if (c.valid("existingAddress", "keepAddress") && c.isSet("existingAddress") && parsed.keepAddress === false) {
        c.problem("keepAddress", "cannot be false with existingAddress: the stack never releases an address it did not make");
    }
    if (c.valid("existingHubAddresses", "keepAddress") && c.isSet("existingHubAddresses") && parsed.keepAddress === false) {
        c.problem("keepAddress", "cannot be false with existingHubAddresses: the stack never releases an address it did not make");
    }
    if (c.valid("region", "clusterLocation") && c.clusterLocation !== c.region && !c.clusterLocation.startsWith(`${c.region}-`)) {
        const region = c.shows("region") ? `region ${c.region}` : "the stack's region";
        c.problem("clusterLocation", `must be in ${region} (the static IP and the registry are regional)`);
    }
};

/** Ports and timers that must not collide. */
const portAndTimingRules: Rule = (c) => {
    const { parsed } = c;
    if (c.valid("clientPort", "linkPort") && parsed.clientPort === parsed.linkPort) {
        // Name the key the operator set, where one of them is at its default.
        // The two are equal: showing one shows the other.
        const shown = (_key: ConfigKey, value: unknown) => (c.shows("clientPort", "linkPort") ? ` (${value})` : "");
        if (c.isSet("clientPort")) c.problem("clientPort", `must differ from linkPort${shown("linkPort", parsed.linkPort)}`);
        else c.problem("linkPort", `must differ from clientPort${shown("clientPort", parsed.clientPort)}`);
    }
    if (c.valid("pingTime", "deadTime") && parseGoDuration(parsed.deadTime!)! <= parseGoDuration(parsed.pingTime!)!) {
        const pingTime = c.shows("pingTime") ? ` (${parsed.pingTime})` : "";
        c.problem("deadTime", `must be longer than pingTime${pingTime}: a client is pinged before it is declared dead`);
    }
};

/** What each TLS mode needs: a pair that loads, or a name and a zone to prove it. */
const tlsRules: Rule = (c) => {
    const { parsed } = c;
    if (c.valid("tlsMode", "tlsCertificate", "tlsKey") && parsed.tlsMode === "provided") {
        if (parsed.tlsCertificate === undefined) c.problem("tlsCertificate", "is required with tlsMode provided");
        if (parsed.tlsKey === undefined) c.problem("tlsKey", "is required with tlsMode provided");
        if (parsed.tlsCertificate !== undefined && parsed.tlsKey !== undefined) {
            const pairProblem = keyPairProblem(parsed.tlsCertificate, parsed.tlsKey) ?? servedCertificateProblem(parsed.tlsCertificate, c.now);
            if (pairProblem) c.problem("tlsCertificate", pairProblem);
            // Clients dial the hostname: the certificate must hold it (a wildcard for its zone does).
            else if (c.valid("hostname") && parsed.hostname !== undefined && !certificateHolds(parsed.tlsCertificate, parsed.hostname)) {
                c.problem(
                    "tlsCertificate",
                    `does not hold hostname${c.shows("hostname") ? ` ${parsed.hostname}` : ""}, the name clients dial and check it against`,
                );
            }
        }
    }
    if (c.valid("tlsMode", "platform") && parsed.tlsMode === "letsEncrypt") {
        // Issued by cert-manager with a DNS-01 challenge on Cloud DNS, through Workload Identity.
        if (parsed.platform !== "gke") c.problem("tlsMode", "letsEncrypt needs platform gke (cert-manager answers Let's Encrypt through Cloud DNS)");
        if (c.valid("hostname") && parsed.hostname === undefined) {
            c.problem("hostname", "is required with tlsMode letsEncrypt: the name the certificate is for");
        }
        if (c.valid("dnsZone") && parsed.dnsZone === undefined) {
            c.problem("dnsZone", "is required with tlsMode letsEncrypt: the Cloud DNS zone that proves the name is yours");
        }
        // The account contact: Let's Encrypt refuses the documentation domains (its server's
        // forbidden mail domains), and the ClusterIssuer then never becomes Ready.
        const contactKey = c.isSet("acmeEmail") ? "acmeEmail" : "adminEmail";
        const contact = parsed[contactKey];
        const domain = contact?.split("@").pop()?.toLowerCase();
        if (c.valid(contactKey) && domain !== undefined && letsEncryptRefusedMailDomains.includes(domain)) {
            c.problem(
                contactKey,
                `becomes the Let's Encrypt account contact, and Let's Encrypt refuses addresses at ${letsEncryptRefusedMailDomains.join(", ")} ` +
                    "(no certificate would ever be issued): set acmeEmail or adminEmail to an address of yours",
            );
        } else if (c.valid(contactKey) && domain !== undefined && letsEncryptNameProblem(domain)) {
            c.problem(contactKey, `becomes the Let's Encrypt account contact, whose domain ${nameProblemShown(c, contactKey, domain)}`);
        }
        // Every name the certificate holds: the client name, the shared name, every server name.
        const names: [ConfigKey, string | undefined][] = [
            ["hostname", parsed.hostname],
            ["sharedHostname", parsed.sharedHostname],
            ...(parsed.webClient && c.valid("webClient", "webHostname")
                ? [["webHostname", webHostnameOf(parsed)] as [ConfigKey, string | undefined]]
                : []),
            ...(c.valid("replicas", "serverNames", "serverNamePattern")
                ? networkServerNames(parsed).map((name) => [parsed.serverNames ? "serverNames" : "serverNamePattern", name] as [ConfigKey, string])
                : []),
        ];
        const reported = new Set<ConfigKey>();
        for (const [key, name] of names) {
            const problem = name !== undefined && c.valid(key) && !reported.has(key) ? letsEncryptNameProblem(name) : undefined;
            if (problem) {
                c.problem(key, `names a certificate name that ${nameProblemShown(c, key, name!)}`);
                reported.add(key);
            }
        }
    }
    if (c.valid("dnsZone", "hostname") && parsed.dnsZone !== undefined && parsed.hostname === undefined) {
        c.problem("dnsZone", "needs hostname: the name whose record goes into the zone");
    }
};

/** catbox's lines, as horgh/irc encodes them: at most 512 bytes with CRLF, the rest cut off, mid-character if need be. */
const ircLineBytes = 512;
const bytes = (s: string) => Buffer.byteLength(s, "utf8");

/**
 * Values catbox sends inside one IRC line, counted in bytes beside the longest
 * server name and nick that share the line: `:<server> 372 <nick> :- <motd>`
 * and `:<server> 312 <nick> <nick> <server> :<serverInfo>` (WHOIS). A longer
 * value is cut, mid-character for a multi-byte one.
 */
const lineRules: Rule = (c) => {
    const { parsed } = c;
    if (!c.valid("replicas", "serverNames", "serverNamePattern", "maxNickLength")) return;
    const server = Math.max(...networkServerNames(parsed).map(bytes));
    const nick = parsed.maxNickLength!;
    const room = {
        motd: ircLineBytes - ":".length - server - " 372 ".length - nick - " :- ".length - "\r\n".length,
        serverInfo: ircLineBytes - ":".length - 2 * server - " 312 ".length - 2 * nick - "  ".length - " :".length - "\r\n".length,
    };
    for (const key of ["motd", "serverInfo"] as const) {
        if (c.valid(key) && bytes(parsed[key]!) > room[key]) {
            const figures = c.shows(key, "replicas", "serverNames", "serverNamePattern", "maxNickLength");
            c.problem(
                key,
                figures
                    ? `is ${bytes(parsed[key]!)} bytes, and catbox's 512-byte line holds ${room[key]} beside the longest server name (${server} bytes) ` +
                          `and nick (maxNickLength ${nick}): it would be cut, mid-character for a multi-byte one`
                    : "is longer than catbox's 512-byte line holds beside the longest server name and nick (maxNickLength): " +
                          "it would be cut, mid-character for a multi-byte one",
            );
        }
    }
};

/** Names catbox needs unique: server names, user ids and oper names (catbox lower-cases keys and refuses a repeated one). */
const nameRules: Rule = (c) => {
    const { parsed } = c;
    if (c.valid("replicas", "serverNames", "serverNamePattern")) {
        const replicas = parsed.replicas!;
        if (parsed.serverNames !== undefined && parsed.serverNames.length !== replicas) {
            c.problem(
                "serverNames",
                c.shows("serverNames", "replicas")
                    ? `lists ${parsed.serverNames.length} name(s) but replicas is ${replicas}: give one per replica`
                    : "lists a name for each of another number of daemons than replicas: give one per replica",
            );
        } else {
            const names = networkServerNames(parsed).map((n) => n.toLowerCase());
            const dup = firstDuplicate(names);
            if (dup !== undefined) {
                const key = parsed.serverNames ? "serverNames" : "serverNamePattern";
                c.problem(
                    key,
                    c.shows(key)
                        ? `gives daemons ${names.indexOf(dup)} and ${names.indexOf(dup, names.indexOf(dup) + 1)} the same server name ${dup}; IRC server names must be unique (case-insensitively)`
                        : "gives two daemons one server name; IRC server names must be unique (case-insensitively)",
                );
            }
        }
    }
    if (c.valid("users") && parsed.users) {
        const dup = firstDuplicate(parsed.users.map((u, i) => u.id ?? `user${i}`));
        if (dup !== undefined) {
            c.problem("users", `has ${c.shows("users") ? `the id ${dup}` : "an id"} twice (ids are case-insensitive); ids must be unique`);
        }
    }
};

/**
 * GKE refuses a maintenance window with less than 48 hours of availability in any
 * 32 days; every 32 days hold each weekday at least 4 times.
 */
const maintenanceRules: Rule = (c) => {
    const { parsed } = c;
    if (!c.valid("maintenanceDays", "maintenanceHours") || parsed.platform !== "gke") return;
    const days = parsed.maintenanceDays!.split(",").length;
    if (days * 4 * parsed.maintenanceHours! < 48) {
        const arithmetic = c.shows("maintenanceDays", "maintenanceHours")
            ? ` ${days * 4 * parsed.maintenanceHours!} hours of maintenance in the worst 32 days (${days} day(s) × ${parsed.maintenanceHours} h × 4 weeks),`
            : " too few hours of maintenance in the worst 32 days (days × hours × four weeks),";
        c.problem(
            c.isSet("maintenanceHours") && !c.isSet("maintenanceDays") ? "maintenanceHours" : "maintenanceDays",
            `gives GKE${arithmetic} and GKE needs at least 48: add days or hours`,
        );
    }
};

/** The stack a StackReference names, its last part (organization/project/stack): unique among its project's. */
const stackOf = (ref: string) => ref.split("/").at(-1)!;

/**
 * Links between regions cross the internet: only over TLS that the peers can
 * verify (a certificate from a public CA for each hub's name), to hubs that
 * have public names (A records in the zone).
 */
const regionRules: Rule = (c) => {
    const { parsed } = c;
    if (c.valid("peers", "existingHubAddresses") && parsed.existingHubAddresses !== undefined && parsed.peers === undefined) {
        c.problem("existingHubAddresses", "needs peers: only the hubs of a network of regions have addresses of their own");
    }
    // A region's number and its hubs are about its peers: alone, they would change SIDs or nothing, and say otherwise.
    for (const key of ["regionNumber", "hubs"] as const) {
        if (c.valid("peers", key) && parsed.peers === undefined && c.isSet(key) && !isDefault(key, parsed[key])) {
            c.problem(
                key,
                `applies only with peers (a network of regions), which this stack does not set: leave it at its default, ${defaultOf(key)}`,
            );
        }
    }
    if (!c.valid("peers", "tlsMode", "dnsZone") || parsed.peers === undefined) return;
    if (parsed.tlsMode === "selfSigned") {
        c.problem(
            "peers",
            "needs a certificate the peer regions can verify: tlsMode letsEncrypt, or provided with a certificate from a public CA (a self-signed one links no region)",
        );
    }
    if (parsed.dnsZone === undefined) c.problem("peers", "needs dnsZone: each hub's server name gets a public A record there, which the peers dial");
    if (firstDuplicate(parsed.peers.map(stackOf))) {
        c.problem("peers", "names one stack twice (its last part, the stack's name, compared without case): list each peer region once");
    }
    const kept = parsed.existingHubAddresses;
    if (kept !== undefined && c.valid("existingHubAddresses", "hubs", "replicas", "existingAddress")) {
        const hubs = Math.min(parsed.hubs!, parsed.replicas!);
        if (kept.length > hubs) {
            c.problem(
                "existingHubAddresses",
                c.shows("existingHubAddresses", "hubs", "replicas")
                    ? `names ${kept.length} addresses for ${hubs} hub(s) (hubs, at most replicas): one a hub`
                    : "names more addresses than there are hubs (hubs, at most replicas): one a hub",
            );
        }
        if (firstDuplicate([...kept, ...(parsed.existingAddress ? [parsed.existingAddress] : [])])) {
            c.problem("existingHubAddresses", "names one address twice (or existingAddress's): each endpoint needs its own");
        }
    }
    // Every region derives the same link passwords only from one link secret set in each: a generated one is this stack's alone.
    if (c.valid("linkSecret") && parsed.linkSecret === undefined) {
        c.problem(
            "linkSecret",
            "must be set with peers, the same in every region's stack: a generated one differs in each, and the regions never link",
        );
    }
};

/** What the peer regions dial and check: each hub's certificate and its one DNS record, and never this stack itself. */
const regionNameRules: Rule = (c) => {
    const { parsed } = c;
    if (!c.valid("peers", "tlsMode", "dnsZone") || parsed.peers === undefined) return;
    // The peers verify a hub's certificate against the system's roots: staging's are not among them.
    if (c.valid("acmeServer", "tlsMode") && parsed.tlsMode === "letsEncrypt" && parsed.acmeServer === "staging") {
        c.problem("acmeServer", "cannot be staging with peers: the peer regions verify each hub's certificate, and no system trusts staging's");
    }
    // A provided certificate must hold every hub's name: the peers dial the hubs by it.
    if (
        c.valid("tlsMode", "tlsCertificate", "replicas", "hubs", "serverNames", "serverNamePattern") &&
        parsed.tlsMode === "provided" &&
        parsed.tlsCertificate
    ) {
        const hubNames = networkServerNames(parsed).slice(0, parsed.hubs!);
        const missing = hubNames.filter((name) => !certificateHolds(parsed.tlsCertificate!, name));
        if (missing.length > 0) {
            const count = c.shows("hubs", "replicas", "serverNames", "serverNamePattern") ? ` of ${missing.length} hub(s)` : " of a hub";
            c.problem("tlsCertificate", `does not hold the server names${count}, which the peer regions dial (each hub by its name)`);
        }
    }
    // One DNS record a name in the zone: the client name, the shared name and each hub's server name (Cloud DNS refuses a second).
    if (c.valid("hostname", "sharedHostname", "replicas", "hubs", "serverNames", "serverNamePattern")) {
        const named: [ConfigKey, string | undefined][] = [
            ["hostname", parsed.hostname],
            ["sharedHostname", parsed.sharedHostname],
            ...networkServerNames(parsed)
                .slice(0, parsed.hubs!)
                .map((name) => [parsed.serverNames ? "serverNames" : "serverNamePattern", name] as [ConfigKey, string]),
        ];
        const seen = new Map<string, ConfigKey>();
        for (const [key, name] of named) {
            if (name === undefined) continue;
            const other = seen.get(name.toLowerCase());
            if (other !== undefined) {
                c.problem(key, `gives a hub or name the name ${other} gives, a second DNS record in the zone: each needs a name of its own`);
            }
            seen.set(name.toLowerCase(), key);
        }
    }
    if (c.stack !== undefined && parsed.peers.some((p) => stackOf(p).toLowerCase() === c.stack!.toLowerCase())) {
        c.problem("peers", "names this stack itself: list the other regions' stacks (each region has a stack of its own name)");
    }
};

/** The network's shared name: answered by region, so every region's certificate holds it, and one stack writes it. */
const sharedNameRules: Rule = (c) => {
    const { parsed } = c;
    if (!c.valid("sharedHostname", "sharedNameOwner", "peers", "tlsMode")) return;
    if (parsed.sharedHostname !== undefined) {
        if (parsed.peers === undefined) c.problem("sharedHostname", "needs peers: it is the name of a network that spans regions");
        if (parsed.tlsMode !== "letsEncrypt") {
            c.problem("sharedHostname", "needs tlsMode letsEncrypt, whose certificate then holds it too (every region answers it)");
        }
    }
    if (parsed.sharedNameOwner && parsed.sharedHostname === undefined) {
        c.problem("sharedNameOwner", "needs sharedHostname: the name whose record this stack writes");
    }
};

/**
 * Pods that cannot fit their nodes stay Pending (and a Helm release waiting for
 * them times out): every pod the stack schedules, packed as the scheduler
 * would, before anything is created.
 */
const sizingRules: Rule = (c) => {
    const { parsed } = c;
    const room = nodeRoom(parsed.machineType ?? "");
    if (
        !room ||
        parsed.platform !== "gke" ||
        !c.valid("platform", "machineType", "nodeCount", "replicas", "clientsPerPod", "region", "clusterLocation", "tlsMode", "webClient", "services")
    ) {
        return;
    }
    const nodes = nodesTotal(parsed.nodeCount!, c.clusterLocation);
    const pods = stackPods({
        replicas: parsed.replicas!,
        clientsPerPod: parsed.clientsPerPod!,
        nodes,
        letsEncrypt: parsed.tlsMode === "letsEncrypt",
        webClient: parsed.webClient!,
        services: parsed.services!,
    });
    const placed = pack(pods, nodes, room);
    if ("unplaced" in placed) {
        // Pods of one kind (catbox-0, catbox-1 …) counted once.
        const kinds = new Map<string, { count: number; memoryMiB: number; cpuMilli: number }>();
        for (const p of pods) {
            const kind = p.name.replace(/-\d+$/, "");
            kinds.set(kind, { ...p, count: (kinds.get(kind)?.count ?? 0) + 1 });
        }
        const needed = [...kinds].map(([kind, k]) => `${k.count > 1 ? `${k.count} × ` : ""}${kind} (${k.memoryMiB} MiB, ${k.cpuMilli}m)`);
        const apart = pods.some((p) => p.apart) ? ", catbox's pods each on a node of its own" : "";
        // Every figure here is made from these keys: with one of them a secret, the reason is told without them.
        const figures = c.shows(
            "machineType",
            "nodeCount",
            "replicas",
            "clientsPerPod",
            "region",
            "clusterLocation",
            "tlsMode",
            "webClient",
            "services",
        );
        c.problem(
            "clientsPerPod",
            (figures
                ? `leaves ${placed.unplaced.name} no node: ${nodes} ${parsed.machineType} node(s) leave about ${room.memoryMiB} MiB and ` +
                  `${room.cpuMilli}m each after GKE's own pods, and the stack schedules ${needed.join(", ")}${apart}: `
                : `leaves a pod no node: the nodes' memory and CPU, after GKE's own pods, do not hold every pod the stack schedules${apart}: `) +
                `lower clientsPerPod, raise nodeCount or choose a larger machineType (see the README's sizing table)`,
        );
    }
};

/** Why Let's Encrypt refuses a name, told without the name's parts where the key is a secret. */
function nameProblemShown(c: RuleContext, key: ConfigKey, name: string): string {
    return c.shows(key)
        ? letsEncryptNameProblem(name)!
        : "Let's Encrypt refuses (it takes only names under a public suffix, of at most 10 labels, any punycode valid and in NFC)";
}

/** Mail domains Let's Encrypt refuses in an account's contact (RFC 2606's examples). */
const letsEncryptRefusedMailDomains = ["example.com", "example.net", "example.org"];

/** An oper name the stack keeps for itself: the reloaders apply the bans, and drop an extra link between regions, with it. */
const reservedOperRule: Rule = (c) => {
    if (c.valid("opers") && c.parsed.opers && Object.hasOwn(c.parsed.opers, relinkerOper)) {
        c.problem(
            "opers",
            `names ${relinkerOper}, which the stack keeps for its reloaders (they apply the bans, and keep one link between two regions): choose another name`,
        );
    }
};

/** What the web client needs where it runs: an image, a name and a certificate browsers trust. */
const webRules: Rule = (c) => {
    const { parsed } = c;
    if (!c.valid("webClient", "platform") || !parsed.webClient) {
        if (c.valid("webHostname", "webClient") && c.isSet("webHostname") && !parsed.webClient) {
            c.problem("webHostname", "means nothing without webClient true: set webClient too, or remove webHostname");
        }
        return;
    }
    if (parsed.platform === "kubeconfig") {
        if (c.valid("webImage") && parsed.webImage === undefined) {
            c.problem("webImage", "is required with webClient on platform kubeconfig: a prebuilt image of web/ (the stack builds no image there)");
        }
        return;
    }
    if (!c.valid("webHostname", "hostname", "tlsMode", "tlsCertificate")) return;
    const web = webHostnameOf(parsed);
    if (web === undefined) {
        c.problem("webHostname", "is required with webClient on platform gke without hostname: the name the web client is served at");
        return;
    }
    if (web === parsed.hostname || web === parsed.sharedHostname) {
        c.problem("webHostname", "must differ from hostname and sharedHostname: each name has an A record of its own, at its own address");
    }
    const shown = c.shows("webHostname", "hostname") ? ` ${web}` : "";
    if (parsed.tlsMode === "selfSigned") {
        c.problem(
            "webClient",
            "needs a certificate every browser trusts on platform gke: tlsMode letsEncrypt (issued for webHostname too), or provided with a certificate that holds webHostname",
        );
    } else if (parsed.tlsMode === "provided" && parsed.tlsCertificate !== undefined && !certificateHolds(parsed.tlsCertificate, web)) {
        c.problem("tlsCertificate", `does not hold webHostname${shown}, the name browsers reach the web client at and check it against`);
    }
};

/** What IRC services need: an image where the stack builds none, a server name of their own. */
const servicesRules: Rule = (c) => {
    const { parsed } = c;
    if (c.valid("servicesName", "services") && c.isSet("servicesName") && !parsed.services) {
        c.problem("servicesName", "means nothing without services true: set services too, or remove servicesName");
    }
    if (!c.valid("services", "platform") || !parsed.services) return;
    if (parsed.platform === "kubeconfig" && c.valid("servicesImage") && parsed.servicesImage === undefined) {
        c.problem(
            "servicesImage",
            "is required with services on platform kubeconfig: a prebuilt image of services/ (the stack builds no image there)",
        );
    }
    if (c.valid("servicesName", "replicas", "serverNames", "serverNamePattern", "hostname", "sharedHostname")) {
        const name = servicesServerName(parsed as Parameters<typeof servicesServerName>[0]).toLowerCase();
        const taken = [...networkServerNames(parsed), parsed.hostname, parsed.sharedHostname].some((n) => n?.toLowerCase() === name);
        if (taken) {
            c.problem(
                c.isSet("servicesName") ? "servicesName" : "serverNamePattern",
                `gives services${c.shows("servicesName", "serverNamePattern", "serverNames") ? ` (${name})` : ""} a daemon's or the network's own name: services are a server of their own; set servicesName`,
            );
        }
    }
};

/** A ban the stack could never lift: one that shuts out the reloaders that apply the list. */
const banRules: Rule = (c) => {
    const { user, hosts } = reloaderIdentity;
    const shutOut = (c.valid("bans") ? (c.parsed.bans ?? []) : []).findIndex((b) => hosts.some((host) => klineMatches(b.mask, user, host)));
    if (shutOut >= 0) {
        c.problem(
            "bans",
            `ban ${shutOut + 1}'s mask${c.shows("bans") ? ` ${c.parsed.bans![shutOut].mask}` : ""} matches ${user}@${hosts.join(" or ")}, the reloaders that apply the list ` +
                "(catbox matches a mask anywhere in the user name and host): they would be shut out, and could never lift it; give a narrower mask",
        );
    }
};

/** Every cross-key rule, in the order their problems are reported. */
export const rules: Rule[] = [
    appliesWhereItMeansSomething,
    platformRules,
    portAndTimingRules,
    tlsRules,
    nameRules,
    lineRules,
    maintenanceRules,
    regionRules,
    regionNameRules,
    reservedOperRule,
    banRules,
    webRules,
    servicesRules,
    sharedNameRules,
    sizingRules,
];

function isDefault(key: ConfigKey, value: unknown): boolean {
    const fallback = defaultOf(key);
    return fallback !== undefined && JSON.stringify(fallback) === JSON.stringify(value);
}

/** The server names of parsed config whose replicas and names are valid. */
function networkServerNames(parsed: Partial<Parsed>): string[] {
    return serverNames({ replicas: parsed.replicas!, serverNamePattern: parsed.serverNamePattern!, serverNames: parsed.serverNames });
}

/** The first name that appears twice, compared case-insensitively (lower-cased). */
function firstDuplicate(names: string[]): string | undefined {
    const lower = names.map((n) => n.toLowerCase());
    return lower.find((n, i) => lower.indexOf(n) !== i);
}

/** Whether a certificate holds this DNS name, as a client verifying it would see it (wildcards included). */
function certificateHolds(certPem: string, name: string): boolean {
    try {
        return new X509Certificate(certPem).checkHost(name, { subject: "never" }) !== undefined;
    } catch {
        return false;
    }
}

/** Whether catbox (Go's tls.LoadX509KeyPair) could load this pair; a message if not. */
function keyPairProblem(certPem: string, keyPem: string): string | undefined {
    let cert: X509Certificate;
    try {
        cert = new X509Certificate(certPem);
    } catch {
        return "is not a certificate that can be parsed";
    }
    let key: KeyObject;
    try {
        key = createPrivateKey(keyPem);
        if (!cert.checkPrivateKey(key)) {
            return "does not match tlsKey (catbox could not load the pair)";
        }
    } catch {
        return "cannot be checked against tlsKey: tlsKey is not a private key that can be parsed";
    }
    return keyKindProblem(key);
}

/** OIDs of the extended key usages a TLS server's certificate may carry. */
const serverAuth = "1.3.6.1.5.5.7.3.1";
const anyExtendedKeyUsage = "2.5.29.37.0";

/**
 * What clients refuse in a certificate catbox would load: one outside its
 * validity, an extended key usage without serverAuth (every client: "unsuitable
 * certificate purpose"), or a key usage that leaves out what TLS 1.2 needs: for
 * an ECDSA or Ed25519 key, digitalSignature (OpenSSL's clients: "ecc cert not
 * for signing", found against the real catbox); for RSA, digitalSignature or
 * keyEncipherment.
 */
function servedCertificateProblem(certPem: string, now: Date): string | undefined {
    const cert = new X509Certificate(certPem);
    if (Date.parse(cert.validTo) <= now.getTime()) return "has expired: every client refuses it; give a renewed certificate";
    if (Date.parse(cert.validFrom) > now.getTime()) return "is not valid yet: every client refuses it until then";
    const eku = cert.toLegacyObject().ext_key_usage;
    if (eku !== undefined && !eku.includes(serverAuth) && !eku.includes(anyExtendedKeyUsage)) {
        return "has an extended key usage without serverAuth (TLS server authentication): every client refuses it for a server";
    }
    const usage = keyUsageBits(cert.raw);
    if (usage !== undefined) {
        const rsa = cert.publicKey.asymmetricKeyType === "rsa";
        if (!usage.digitalSignature && !(rsa && usage.keyEncipherment)) {
            return `has a key usage without digitalSignature${rsa ? " or keyEncipherment" : ""}, which TLS 1.2 needs of it: clients on TLS 1.2 refuse the handshake`;
        }
    }
    return undefined;
}

/**
 * The key usage extension's first bits, read from the certificate's DER (Node
 * gives no accessor): its OID 2.5.29.15, an optional critical flag, then an
 * OCTET STRING holding a BIT STRING. Undefined where the extension is absent.
 */
function keyUsageBits(der: Buffer): { digitalSignature: boolean; keyEncipherment: boolean } | undefined {
    const oid = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x0f]);
    let at = der.indexOf(oid);
    if (at < 0) return undefined;
    at += oid.length;
    if (der[at] === 0x01) at += 2 + der[at + 1]; // BOOLEAN critical
    if (der[at] !== 0x04 || der[at + 2] !== 0x03) return undefined;
    const first = der[at + 5] ?? 0; // OCTET STRING, its length, BIT STRING, its length, unused bits, then the bits
    return { digitalSignature: (first & 0x80) !== 0, keyEncipherment: (first & 0x20) !== 0 };
}

/** What Go's TLS server loads and today's clients accept: ECDSA on P-256/384/521, Ed25519, RSA of 2048 bits or more. */
const servedCurves = ["prime256v1", "secp384r1", "secp521r1"];
const minRsaBits = 2048;

function keyKindProblem(key: KeyObject): string | undefined {
    const kind = key.asymmetricKeyType;
    const details = key.asymmetricKeyDetails ?? {};
    const servable =
        (kind === "ec" && servedCurves.includes(details.namedCurve ?? "")) ||
        kind === "ed25519" ||
        (kind === "rsa" && (details.modulusLength ?? 0) >= minRsaBits);
    if (servable) return undefined;
    const what =
        kind === "ec" ? `an ECDSA key on ${details.namedCurve}` : kind === "rsa" ? `a ${details.modulusLength}-bit RSA key` : `a ${kind} key`;
    return (
        `holds ${what}, which catbox (Go's TLS) cannot load or no current client accepts: ` +
        `use ECDSA P-256, P-384 or P-521, Ed25519, or RSA of ${minRsaBits} bits or more`
    );
}
