// Runs the program offline under Pulumi's mock engine (pulumi.runtime.setMocks)
// and records every resource it registers: type, name, inputs (with which of
// them are secrets), parent, provider, resource options and dependencies. The
// tests and `npm run render` both stand on this. Only the SDK's public API.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

const fixtureDir = path.join(__dirname, "fixtures");
/** A throwaway self-signed pair, committed on purpose: what the mock TLS provider "generates". */
export const placeholderTls = {
    certificatePem: readFileSync(path.join(fixtureDir, "placeholder-tls.crt"), "utf8"),
    keyPem: readFileSync(path.join(fixtureDir, "placeholder-tls.key"), "utf8"),
};

export interface Registered {
    urn: string;
    /** The id the (mock) provider gave it. */
    id: string;
    type: string;
    name: string;
    custom: boolean;
    /** Inputs with secrets unwrapped. */
    inputs: Record<string, any>;
    /** Top-level input names whose value is (or holds) a Pulumi secret. */
    secretInputs: string[];
    parent: string;
    /** `urn::id` of the provider, for custom resources. */
    provider: string;
    protect: boolean;
    retainOnDelete: boolean;
    ignoreChanges: string[];
    /** URNs this resource depends on (explicit dependsOn and through its inputs). */
    dependencies: string[];
}

export interface OfflineRun {
    resources: Registered[];
    /** Stack outputs, unwrapped. */
    outputs: Record<string, any>;
    /** Names of stack outputs that are secrets. */
    secretOutputs: string[];
}

export interface OfflineOptions {
    /** Full keys (`catbox-gke:replicas`, `gcp:project`) to string values, as the CLI passes them. */
    config: Record<string, string>;
    secretKeys?: string[];
    stack?: string;
    preview?: boolean;
    /** What to run instead of index.ts (a test that builds one component). */
    program?: () => Promise<Record<string, unknown>>;
}

function isSecret(v: any): boolean {
    return v !== null && typeof v === "object" && v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

function containsSecret(v: any): boolean {
    if (isSecret(v)) return true;
    if (Array.isArray(v)) return v.some(containsSecret);
    if (v !== null && typeof v === "object") return Object.values(v).some(containsSecret);
    return false;
}

/** Strip Pulumi's secret wrappers, keeping the values. */
function unwrap(v: any): any {
    if (isSecret(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (v !== null && typeof v === "object" && v.constructor === Object) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    }
    return v;
}

const digestOf = (...parts: string[]) => createHash("sha256").update(parts.join("\0")).digest("hex");

/** What the cloud would fill in: outputs the program reads, deterministic for the same inputs. */
function mockState(args: pulumi.runtime.MockResourceArgs, i: Record<string, any>): Record<string, any> {
    switch (args.type) {
        case "gcp:container/cluster:Cluster":
            return {
                endpoint: "203.0.113.10",
                masterAuth: { clusterCaCertificate: Buffer.from("mock cluster CA").toString("base64") },
            };
        case "gcp:compute/address:Address":
            return { address: "203.0.113.7" };
        case "gcp:serviceaccount/account:Account": {
            const email = `${i.accountId}@${i.project}.iam.gserviceaccount.com`;
            return { email, member: `serviceAccount:${email}`, name: `projects/${i.project}/serviceAccounts/${email}` };
        }
        case "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig":
            return { uptimeCheckId: `${args.name}-${digestOf(JSON.stringify(i)).slice(0, 8)}` };
        case "gcp:monitoring/notificationChannel:NotificationChannel":
            return { name: `projects/${i.project}/notificationChannels/${digestOf(args.name).slice(0, 12)}` };
        case "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember":
        case "gcp:projects/iAMMember:IAMMember":
            return { etag: "BwMockEtag=" };
        case "docker:index/image:Image": {
            const dockerfile = readFileSync(i.build.dockerfile, "utf8");
            const repo = String(i.imageName).replace(/:[^/:]+$/, "");
            return { repoDigest: `${repo}@sha256:${digestOf(i.imageName, dockerfile, JSON.stringify(i.build.args ?? {}))}` };
        }
        case "random:index/randomPassword:RandomPassword":
            return { result: pulumi.secret(`mock${digestOf(args.name).slice(0, Math.max(0, i.length - 4))}`) };
        case "tls:index/privateKey:PrivateKey":
            return { privateKeyPem: pulumi.secret(placeholderTls.keyPem) };
        case "tls:index/selfSignedCert:SelfSignedCert":
            return { certPem: placeholderTls.certificatePem };
        default:
            return {};
    }
}

const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
        const i = unwrap(args.inputs);
        // GKE's id is the cluster's path, which the provider's clusterIdentifier takes.
        const id = args.type === "gcp:container/cluster:Cluster" ? `projects/${i.project}/locations/${i.location}/clusters/${i.name}` : `${args.name}-id`;
        return { id, state: { ...args.inputs, ...mockState(args, i) } };
    },
    call(args) {
        // Offline, every Cloud DNS zone is example.org. (the committed stacks' domain).
        if (args.token === "gcp:dns/getManagedZone:getManagedZone") {
            return { name: args.inputs.name, project: args.inputs.project, dnsName: "example.org.", id: `projects/${args.inputs.project}/managedZones/${args.inputs.name}` };
        }
        throw new Error(`unexpected invoke ${args.token} in an offline run`);
    },
};

/** The request and response objects the monitor passes (gRPC messages): what the recorder reads of them. */
type Req = { [getter: string]: () => any };
type Callback = (err: unknown, res: Req) => void;
interface Monitor {
    registerResource(req: Req, callback: Callback): void;
    registerResourceOutputs(req: Req, callback: Callback): void;
}

/**
 * Record, on the monitor `pulumi.runtime.setMocks` installed, every resource
 * registered and the stack's outputs: a thin layer over its two calls.
 */
function record(monitor: Monitor): { records: Registered[]; stackOutputs: () => Record<string, any> } {
    const records: Registered[] = [];
    let stackOutputs: Record<string, any> = {};
    const registerResource = monitor.registerResource.bind(monitor);
    const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResource = (req, callback) => {
        const inputs = pulumi.runtime.deserializeProperties(req.getObject());
        return registerResource(req, (err, res) => {
            if (!err) {
                records.push({
                    urn: res.getUrn(),
                    id: res.getId(),
                    type: req.getType(),
                    name: req.getName(),
                    custom: req.getCustom(),
                    inputs: unwrap(inputs),
                    secretInputs: Object.keys(inputs).filter((k) => containsSecret(inputs[k])),
                    parent: req.getParent(),
                    provider: req.getProvider(),
                    protect: req.getProtect() === true,
                    retainOnDelete: req.getRetainondelete() === true,
                    ignoreChanges: req.getIgnorechangesList(),
                    dependencies: req.getDependenciesList(),
                });
            }
            callback(err, res);
        });
    };
    monitor.registerResourceOutputs = (req, callback) => {
        if (String(req.getUrn()).includes("::pulumi:pulumi:Stack::")) stackOutputs = pulumi.runtime.deserializeProperties(req.getOutputs());
        return registerResourceOutputs(req, callback);
    };
    return { records, stackOutputs: () => stackOutputs };
}

/** The program: index.ts exports one async function, so each run starts fresh. */
function program(): () => Promise<Record<string, unknown>> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("../../index");
}

/** Run the whole program once, offline. Rejects with the program's error (for bad config, a RunError). */
export async function runOffline(opts: OfflineOptions): Promise<OfflineRun> {
    await pulumi.runtime.setMocks(mocks, "catbox-gke", opts.stack ?? "test", opts.preview ?? false);
    const monitor = record(pulumi.runtime.getMonitor() as unknown as Monitor);
    pulumi.runtime.setAllConfig(opts.config, opts.secretKeys ?? []);

    // The program's own error is caught inside the stack and rethrown once the
    // engine is idle: the real runtime's handler reports it; here the caller does.
    let failure: unknown;
    const outputs = await pulumi.runtime.runInPulumiStack(async () => {
        try {
            return await (opts.program ?? program())();
        } catch (err) {
            failure = err;
            return {};
        }
    });
    // Every registration done: the runtime waits for its RPCs, then lets this monitor go.
    await pulumi.runtime.disconnect();
    if (failure !== undefined) {
        // What had been registered when it failed: for bad config, nothing but the stack.
        if (failure instanceof Error) Object.assign(failure, { registered: monitor.records });
        throw failure;
    }
    const stackOutputs = monitor.stackOutputs();
    return {
        resources: monitor.records,
        outputs: unwrap(outputs ?? {}),
        secretOutputs: Object.keys(stackOutputs).filter((k) => containsSecret(stackOutputs[k])),
    };
}
