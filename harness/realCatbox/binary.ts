// The real catbox daemon for tests and benchmarks: the version the image will
// contain, built once per version and cached. Where it comes from, first match:
//   CATBOX_BIN   a catbox binary to use as it is
//   CATBOX_SRC   catbox's sources with their offline build.sh (CI: ../shared/catbox)
//   go install   github.com/horgh/catbox@<version>, where Go and its module proxy are reachable
// Where none works, the caller gets a reason to skip, except under .ci/run's
// CATBOX_GKE_NEVER_SKIP=1, where a missing daemon is an error.
import { spawnSync } from "node:child_process";
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import * as path from "node:path";
import { catboxProcessName } from "../../components/catbox/names";
import { readStackFile } from "../offline/stack";
import { skipUnlessRequired } from "../neverSkip";

const root = path.join(__dirname, "..", "..");
const cacheDir = path.join(root, "node_modules", ".cache", "catbox-gke");
const buildTimeoutMs = 10 * 60_000;

export const howToEnable =
    "set CATBOX_BIN to a catbox binary, or CATBOX_SRC to catbox's sources with build.sh " +
    "(.ci/run uses ../shared/catbox), or install Go with its module proxy reachable";

/** The catboxVersion a stack builds its image from (its file, else Pulumi.yaml's default). */
function stackCatboxVersion(stack = "prod"): string {
    return readStackFile(stack).config["catbox-gke:catboxVersion"];
}

function executable(file: string): boolean {
    try {
        accessSync(file, constants.X_OK);
        return statSync(file).isFile();
    } catch {
        return false;
    }
}

/** Hold a lock file while `fn` runs, so that parallel test files build once. */
function withLock<T>(lock: string, fn: () => T): T {
    const deadline = Date.now() + buildTimeoutMs;
    for (;;) {
        try {
            closeSync(openSync(lock, "wx"));
            break;
        } catch {
            if (Date.now() > deadline) throw new Error(`catbox build lock ${lock} held too long; remove it`);
            // Another process is building: wait for it.
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
        }
    }
    try {
        return fn();
    } finally {
        rmSync(lock, { force: true });
    }
}

function build(version: string, out: string): string | undefined {
    const tmp = `${out}.building-${process.pid}`;
    const src = process.env.CATBOX_SRC;
    let r;
    if (src) {
        const script = path.join(path.resolve(src), "build.sh");
        if (!existsSync(script)) return `CATBOX_SRC=${src} has no build.sh`;
        r = spawnSync("bash", [script, version, tmp], {
            encoding: "utf8",
            timeout: buildTimeoutMs,
            env: { ...process.env, WORK_DIR: path.join(cacheDir, "work") },
        });
    } else {
        if (spawnSync("go", ["version"]).status !== 0) return "no CATBOX_BIN, no CATBOX_SRC and no go on PATH";
        const gobin = `${tmp}.d`;
        r = spawnSync("go", ["install", "-trimpath", `github.com/horgh/catbox@${version}`], {
            encoding: "utf8",
            timeout: buildTimeoutMs,
            env: { ...process.env, CGO_ENABLED: "0", GOBIN: gobin },
        });
        if (r.status === 0) renameSync(path.join(gobin, "catbox"), tmp);
        rmSync(gobin, { recursive: true, force: true });
    }
    if (r.status !== 0 || !executable(tmp)) {
        rmSync(tmp, { force: true });
        return `building catbox ${version} failed: ${(r.stderr || r.error?.message || "").trim().split("\n").slice(-3).join(" / ")}`;
    }
    renameSync(tmp, out);
    return undefined;
}

export type CatboxBinary = { path: string; version: string } | { skip: string };

/** The catbox binary of `version` (default: the production stack's), or why there is none. */
export function catboxBinary(version = stackCatboxVersion()): CatboxBinary {
    const given = process.env.CATBOX_BIN;
    let result: CatboxBinary;
    if (given) {
        result = executable(given) ? { path: path.resolve(given), version } : { skip: `CATBOX_BIN=${given} is not an executable file` };
    } else {
        // Named catbox, as in the image: the reloader finds the daemon by its process name.
        const out = path.join(cacheDir, version, catboxProcessName);
        mkdirSync(path.dirname(out), { recursive: true });
        const problem = executable(out) ? undefined : withLock(`${out}.lock`, () => (executable(out) ? undefined : build(version, out)));
        result = problem ? { skip: problem } : { path: out, version };
    }
    if ("skip" in result) skipUnlessRequired("the real catbox", `${result.skip}; ${howToEnable}`);
    return result;
}
