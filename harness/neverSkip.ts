// Whether a test that cannot run here may skip. The project's own switch, set
// by .ci/run: GitHub sets CI=true on every runner, where promtool, a writable
// cgroup and ../shared are missing, so CI=true must not mean "never skip".
export const neverSkipVariable = "CATBOX_GKE_NEVER_SKIP";

/** The reason to skip, or, under the switch, an error saying what is missing. */
export function skipUnlessRequired(what: string, missing: string | undefined): string | undefined {
    if (missing && process.env[neverSkipVariable] === "1") {
        throw new Error(`${what} cannot run: ${missing}; with ${neverSkipVariable}=1 (.ci/run) it never skips`);
    }
    return missing;
}
