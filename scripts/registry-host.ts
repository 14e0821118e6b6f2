// `npm run --silent registry-host -- <stack>`: the Artifact Registry host that
// `pulumi up` of that stack pushes its images to (`<region>-docker.pkg.dev`),
// from the stack file, as the program decides the region: for
// `gcloud auth configure-docker` before an up (the CI workflow runs it), so that
// Docker's login and the images' region can never disagree.
import * as pulumi from "@pulumi/pulumi";
import { project } from "../components/config/keys";
import { ConfigError, parseConfig, rawConfigOf } from "../components/config/parse";
import { registryHost } from "../components/platform/gcpNames";
import { readStackFile } from "../harness/offline/stack";

/**
 * The registry host of `stack` (a stack's name, or organization/stack, or
 * organization/project/stack as CI names it), from its stack file, which Pulumi
 * names by the stack's name alone, and the project's defaults.
 */
export function stackRegistryHost(stack: string, dir?: string): string {
    const parts = stack.split("/");
    if (parts.length > 3 || !parts.every((p) => /^[A-Za-z0-9_.-]{1,100}$/.test(p)) || (parts.length === 3 && parts[1] !== project)) {
        throw new pulumi.RunError(`${JSON.stringify(stack)} is not a stack of ${project}: give [organization/[${project}/]]stack`);
    }
    const { config, secretKeys } = readStackFile(parts.at(-1)!, dir);
    const prefix = `${project}:`;
    const parsed = parseConfig(rawConfigOf(config, new Set(secretKeys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)))));
    if (parsed.platform !== "gke") throw new pulumi.RunError(`stack ${stack} is platform ${parsed.platform}: it pushes no image`);
    return registryHost(parsed.region);
}

if (require.main === module) {
    const stack = process.argv[2];
    if (!stack) {
        console.error("usage: npm run --silent registry-host -- <stack>");
        process.exit(2);
    }
    try {
        console.log(stackRegistryHost(stack));
    } catch (err) {
        console.error(err instanceof ConfigError || pulumi.RunError.isInstance(err) ? `error: ${(err as Error).message}` : err);
        process.exit(1);
    }
}
