// The real catbox daemon for tests and benchmarks: the version the image will
// contain, with the patches it carries (configs/patches/, applied in name
// order, as configs/Dockerfile applies them), built once per version and set of
// patches and cached. Where it comes from, first match:
//   CATBOX_BIN   a catbox binary to use as it is
//   CATBOX_SRC   catbox's sources with their offline build.sh (CI: ../shared/catbox)
//   go install   github.com/horgh/catbox@<version>, where Go and its module proxy are reachable
// Where none works, the caller gets a reason to skip, except under .ci/run's
// CATBOX_GKE_NEVER_SKIP=1, where a missing daemon is an error.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
    accessSync,
    closeSync,
    constants,
    cpSync,
    existsSync,
    mkdirSync,
    openSync,
    readdirSync,
    readFileSync,
    renameSync,
    rmSync,
    statSync,
} from "node:fs";
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

/** The patches the image applies to catbox, in order: configs/patches/*.patch. */
export const patchesDir = path.join(root, "configs", "patches");
export function projectPatches(): string[] {
    return readdirSync(patchesDir)
        .filter((f) => f.endsWith(".patch"))
        .sort()
        .map((f) => path.join(patchesDir, f));
}

function build(version: string, patches: string[], out: string): string | undefined {
    const tmp = `${out}.building-${process.pid}`;
    const src = process.env.CATBOX_SRC;
    let r;
    if (src) {
        const script = path.join(path.resolve(src), "build.sh");
        if (!existsSync(script)) return `CATBOX_SRC=${src} has no build.sh`;
        r = spawnSync("bash", [script, version, tmp], {
            encoding: "utf8",
            timeout: buildTimeoutMs,
            env: { ...process.env, WORK_DIR: path.join(cacheDir, "work"), PATCHES: patches.join(" ") },
        });
    } else {
        if (spawnSync("go", ["version"]).status !== 0) return "no CATBOX_BIN, no CATBOX_SRC and no go on PATH";
        r = goBuild(version, patches, tmp);
    }
    if (r.status !== 0 || !executable(tmp)) {
        rmSync(tmp, { force: true });
        return `building catbox ${version} failed: ${(r.stderr || r.error?.message || "").trim().split("\n").slice(-3).join(" / ")}`;
    }
    renameSync(tmp, out);
    return undefined;
}

/**
 * With Go and its module proxy: the module's sources as `go install` fetches them,
 * copied, patched (git apply works outside a repository) and built.
 */
function goBuild(version: string, patches: string[], out: string) {
    const env = { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=mod" };
    const download = spawnSync("go", ["mod", "download", "-json", `github.com/horgh/catbox@${version}`], {
        encoding: "utf8",
        timeout: buildTimeoutMs,
        env,
    });
    // With -json, go reports a failed download in the JSON's Error, not on stderr.
    if (download.status !== 0) return { ...download, stderr: download.stderr || download.stdout };
    const work = `${out}.src`;
    rmSync(work, { recursive: true, force: true });
    cpSync(JSON.parse(download.stdout).Dir, work, { recursive: true });
    spawnSync("chmod", ["-R", "u+w", work]);
    try {
        for (const patch of patches) {
            const applied = spawnSync("git", ["apply", "--whitespace=nowarn", patch], { cwd: work, encoding: "utf8" });
            if (applied.status !== 0) return applied;
        }
        return spawnSync("go", ["build", "-trimpath", "-o", out, "."], { cwd: work, encoding: "utf8", timeout: buildTimeoutMs, env });
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}

export type CatboxBinary = { path: string; version: string } | { skip: string };

/**
 * The catbox binary of `version` (default: the production stack's) with
 * `patches` (default: the image's), or why there is none. CATBOX_BIN is taken as
 * it is: the patched daemon, unless it says otherwise.
 */
export function catboxBinary(version = stackCatboxVersion(), patches = projectPatches()): CatboxBinary {
    const given = process.env.CATBOX_BIN;
    let result: CatboxBinary;
    if (given) {
        result = executable(given) ? { path: path.resolve(given), version } : { skip: `CATBOX_BIN=${given} is not an executable file` };
    } else {
        // Named catbox, as in the image (the reloader finds the daemon by its process name), in a
        // folder of its version and its patches' contents.
        const patchHash = createHash("sha256");
        for (const p of patches) patchHash.update(readFileSync(p)).update("\0");
        const out = path.join(cacheDir, patches.length ? `${version}+${patchHash.digest("hex").slice(0, 12)}` : version, catboxProcessName);
        mkdirSync(path.dirname(out), { recursive: true });
        const problem = executable(out) ? undefined : withLock(`${out}.lock`, () => (executable(out) ? undefined : build(version, patches, out)));
        result = problem ? { skip: problem } : { path: out, version };
    }
    if ("skip" in result) skipUnlessRequired("the real catbox", `${result.skip}; ${howToEnable}`);
    return result;
}
