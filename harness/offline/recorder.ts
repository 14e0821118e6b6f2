// The one place that reaches below the SDK's public API. pulumi.runtime.setMocks
// installs a mock monitor; to see what the program registers, this wraps two of
// that monitor's methods (registerResource, registerResourceOutputs) and reads
// the gRPC request objects they receive through their generated getters
// (getType, getName, getObject, getParent, getProvider, getProtect,
// getRetainondelete, getIgnorechangesList, getDependenciesList, getAliasurnsList,
// getAliasesList, getUrn, getOutputs). Those getters are generated from Pulumi's resource monitor
// protocol (provider/v3 resource.proto); a new SDK that renamed one would fail
// here, loudly, and nowhere else.
import * as pulumi from "@pulumi/pulumi";
import { containsSecret, unwrap } from "./secrets";

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
    /** Its aliases: old URNs, or specs (name, type, parent …) the engine resolves. */
    aliases: unknown[];
    /** Read, not managed (a StackReference): its id is what it reads. */
    read?: true;
}

/** The request and response objects the monitor passes (gRPC messages): what the recorder reads of them. */
type Req = { [getter: string]: () => any };
type Callback = (err: unknown, res: Req) => void;
export interface Monitor {
    registerResource(req: Req, callback: Callback): void;
    readResource(req: Req, callback: Callback): void;
    registerResourceOutputs(req: Req, callback: Callback): void;
}

/**
 * Record, on the monitor `pulumi.runtime.setMocks` installed, every resource
 * registered or read and the stack's outputs: a thin layer over its calls.
 */
export function record(monitor: Monitor): { records: Registered[]; stackOutputs: () => Record<string, any> } {
    const records: Registered[] = [];
    let stackOutputs: Record<string, any> = {};
    const registerResource = monitor.registerResource.bind(monitor);
    const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
    /** What a request says of its resource, the parts a registration and a read share. */
    const common = (req: Req, res: Req, serialized: Parameters<typeof pulumi.runtime.deserializeProperties>[0]) => {
        const inputs = pulumi.runtime.deserializeProperties(serialized);
        return {
            urn: res.getUrn(),
            type: req.getType(),
            name: req.getName(),
            inputs: unwrap(inputs),
            secretInputs: Object.keys(inputs).filter((k) => containsSecret(inputs[k])),
            parent: req.getParent(),
            provider: req.getProvider(),
            dependencies: req.getDependenciesList(),
        };
    };
    monitor.registerResource = (req, callback) =>
        registerResource(req, (err, res) => {
            if (!err) {
                records.push({
                    ...common(req, res, req.getObject()),
                    id: res.getId(),
                    custom: req.getCustom(),
                    protect: req.getProtect() === true,
                    retainOnDelete: req.getRetainondelete() === true,
                    ignoreChanges: req.getIgnorechangesList(),
                    aliases: [...req.getAliasurnsList(), ...req.getAliasesList().map((a: { toObject(): unknown }) => a.toObject())],
                });
            }
            callback(err, res);
        });
    const readResource = monitor.readResource.bind(monitor);
    monitor.readResource = (req, callback) =>
        readResource(req, (err, res) => {
            if (!err) {
                const read = {
                    id: req.getId(),
                    custom: true,
                    protect: false,
                    retainOnDelete: false,
                    ignoreChanges: [],
                    aliases: [],
                    read: true as const,
                };
                records.push({ ...common(req, res, req.getProperties()), ...read });
            }
            callback(err, res);
        });
    monitor.registerResourceOutputs = (req, callback) => {
        if (String(req.getUrn()).includes("::pulumi:pulumi:Stack::")) stackOutputs = pulumi.runtime.deserializeProperties(req.getOutputs());
        return registerResourceOutputs(req, callback);
    };
    return { records, stackOutputs: () => stackOutputs };
}
