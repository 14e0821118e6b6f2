// The prober as its image runs it: prober/ bundled by esbuild into one file for
// plain node (the image's Dockerfile does the same), for the benchmark and the
// tests that run it as a process of its own.
import * as path from "node:path";
import { buildSync } from "esbuild";

/** Bundle prober/main.ts into `dir`; the bundle's path. */
export function bundleProber(dir: string): string {
    const outfile = path.join(dir, "prober.js");
    buildSync({
        entryPoints: [path.join(__dirname, "..", "..", "prober", "main.ts")],
        bundle: true,
        platform: "node",
        target: "node20",
        outfile,
        logLevel: "error",
    });
    return outfile;
}
