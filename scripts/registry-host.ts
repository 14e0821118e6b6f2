// `npm run --silent registry-host -- <stack>`: the Artifact Registry host that
// `pulumi up` of that stack pushes its images to (`<region>-docker.pkg.dev`),
// from the stack file, as the program decides the region: for
// `gcloud auth configure-docker` before an up (the CI workflow runs it), so that
// Docker's login and the images' region can never disagree.
import * as pulumi from "@pulumi/pulumi";
import { project } from "../components/config/keys";
import { ConfigError, parseConfig, rawConfigOf } from "../components/config/parse";
import { registryHost } from "../components/gcp/names";
import { readStackFile } from "../harness/offline/stack";

/** The registry host of `stack`, from its stack file and the project's defaults. */
export function stackRegistryHost(stack: string, dir?: string): string {
    const { config, secretKeys } = readStackFile(stack, dir);
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
