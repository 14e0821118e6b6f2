// Runs the program offline under Pulumi's mock engine (pulumi.runtime.setMocks)
// and records every resource it registers: type, name, inputs (with which of
// them are secrets), parent, provider, resource options and dependencies. The
// tests and `npm run render` both stand on this. It uses the SDK's public API
// (setMocks, setAllConfig, runInPulumiStack, disconnect) and, to record, the
// mock monitor's requests (recorder.ts, the one file that goes below it).
import * as pulumi from "@pulumi/pulumi";
import { mocks, otherStacks } from "./mocks";
import { Monitor, record, Registered } from "./recorder";
import { containsSecret, unwrap } from "./secrets";

export { placeholderTls } from "./mocks";
export type { Registered };

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
    /** Other stacks' outputs, by stack name, for StackReferences (the peer regions). */
    otherStacks?: Record<string, Record<string, unknown>>;
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
    otherStacks.clear();
    for (const [name, outputs] of Object.entries(opts.otherStacks ?? {})) otherStacks.set(name, outputs);

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
