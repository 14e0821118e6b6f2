// Pod Security "restricted", as every pod of the stack meets it (the namespace
// enforces it): one container shape, and the pod's own. Pure: no Pulumi import.

/** A container: non-root, nothing to escalate, a read-only root, no capability. */
export const restrictedContainer = {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

/**
 * A pod running as `user` (and its group), by number: Pod Security checks
 * runAsNonRoot by it. With `volumes`, the pod's volumes are the group's too (fsGroup).
 */
export function restrictedPod(user: number, volumes: boolean) {
    return {
        runAsNonRoot: true,
        runAsUser: user,
        runAsGroup: user,
        ...(volumes && { fsGroup: user }),
        seccompProfile: { type: "RuntimeDefault" },
    };
}
