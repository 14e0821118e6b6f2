// A catbox daemon's pod: catbox, and beside it the reloader that turns a
// Secret update into a SIGHUP and watches that catbox still answers IRC.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { restartChecksum } from "../catbox/files";
import { catboxProcessName, configDir, containerLinkPort, containerTlsPort, issuedTlsDir, reloaderDir, reloaderScriptFile } from "../catbox/names";
import { catboxSpreadRequired, podSize, reloaderSize } from "../catbox/sizing";
import { restrictedContainer, restrictedPod } from "./podSecurity";
import type { NetworkSpec } from "../catbox/spec";

/** The numeric user both containers run as: the distroless "nonroot" user of configs/Dockerfile. */
export const runAsUser = 65532;

/** Where the reloader's watchdog keeps "healthy" (an emptyDir: the root filesystem is read-only). */
const watchdogStateDir = "/run/catbox-gke";

/**
 * Seconds a deleted pod keeps serving before catbox gets SIGTERM: time for its
 * endpoint to leave the client Service and for the load balancer's health check
 * of the node to fail, so that no new client is sent to a daemon that is about
 * to exit. GKE's backend service-based load balancer checks a Local-policy node
 * every 3 s and gives up after 2 failures (6 s); a Service still on a target pool
 * is checked every 8 s, 3 failures (24 s). catbox exits at once on SIGTERM.
 */
const drainSeconds = 30;

/** Secret files: root's, readable by the pod's group (fsGroup) only. The reloader's script: readable by all. */
const secretFileMode = 0o440;
const scriptFileMode = 0o444;
/** How often kubelet asks the reloader whether catbox answered its last check. */
const readinessPeriodSeconds = 5;
/** After the drain, time for catbox and the reloader to exit. */
const exitSeconds = 10;

/** The network, and the clients each daemon holds in normal operation (they size its pod). */
export type PodSpec = NetworkSpec & { clientsPerPod: number };

/** What the pod template is made of: the network, the images, and the names of what it mounts. */
export interface PodTemplateArgs {
    cfg: PodSpec;
    labels: Record<string, string>;
    selector: Record<string, string>;
    image: pulumi.Input<string>;
    reloaderImage: pulumi.Input<string>;
    /** Nodes the pods can spread over (all zones), where known. */
    nodesTotal?: number;
    reloaderScript: string;
    /** Names of the config Secret, the issued certificate's Secret (letsEncrypt) and the reloader's ConfigMap. */
    volumes: { config: pulumi.Input<string>; issuedTls?: pulumi.Input<string>; reloader: pulumi.Input<string> };
}

/** Where the config (and the issued pair) are mounted in both containers. */
type Mounts = { name: string; mountPath: string; readOnly: boolean }[];

/** A catbox daemon's pod: catbox, and the reloader beside it that reloads and watches it. */
export function podTemplate(a: PodTemplateArgs) {
    const { cfg, selector } = a;
    const antiAffinityTerm = { labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" };
    const antiAffinity = catboxSpreadRequired(a.nodesTotal, cfg.replicas)
        ? { requiredDuringSchedulingIgnoredDuringExecution: [antiAffinityTerm] }
        : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: antiAffinityTerm }] };
    // Mounted as directories, never with subPath: a subPath mount never sees an update.
    const configMounts = [
        { name: "config", mountPath: configDir, readOnly: true },
        ...(a.volumes.issuedTls ? [{ name: "tls", mountPath: issuedTlsDir, readOnly: true }] : []),
    ];
    return {
        metadata: {
            labels: a.labels,
            annotations: {
                // What a SIGHUP cannot reload: when it changes, the pods roll.
                "catbox-gke/restart-checksum": restartChecksum(cfg),
                "catbox-gke/reloader-checksum": createHash("sha256").update(a.reloaderScript).digest("hex"),
            },
        },
        spec: {
            shareProcessNamespace: true,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: drainSeconds + exitSeconds,
            securityContext: restrictedPod(runAsUser, true),
            affinity: { podAntiAffinity: antiAffinity },
            containers: [catboxContainer(a, configMounts), reloaderContainer(a, configMounts)],
            volumes: [
                { name: "config", secret: { secretName: a.volumes.config, defaultMode: secretFileMode } },
                ...(a.volumes.issuedTls ? [{ name: "tls", secret: { secretName: a.volumes.issuedTls, defaultMode: secretFileMode } }] : []),
                { name: "reloader", configMap: { name: a.volumes.reloader, defaultMode: scriptFileMode } },
                { name: "watchdog", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
            ],
        },
    };
}

/** catbox, sized for clientsPerPod, each pod reading its own file. */
function catboxContainer(a: PodTemplateArgs, configMounts: Mounts) {
    const size = podSize(a.cfg.clientsPerPod);
    return {
        name: "catbox",
        image: a.image,
        // The image's entrypoint is catbox (configs/Dockerfile); each pod reads its own file.
        args: ["-conf", `${configDir}/$(POD_NAME).conf`],
        env: [
            { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            // Go collects before the kernel's limit kills the pod (components/catbox/sizing.ts).
            { name: "GOMEMLIMIT", value: `${size.goMemLimitMiB}MiB` },
        ],
        ports: [
            { name: "irc", containerPort: containerLinkPort, protocol: "TCP" },
            { name: "ircs", containerPort: containerTlsPort, protocol: "TCP" },
        ],
        // No probes here: a TCP probe passes on a frozen daemon and fills its log.
        // The reloader's watchdog speaks IRC to it, kills it when it hangs, and
        // carries the pod's readiness.
        lifecycle: { preStop: { sleep: { seconds: drainSeconds } } },
        resources: {
            requests: { cpu: `${size.cpuRequestMilli}m`, memory: `${size.memoryMiB}Mi` },
            limits: { cpu: `${size.cpuLimitMilli}m`, memory: `${size.memoryMiB}Mi` },
        },
        securityContext: restrictedContainer,
        volumeMounts: configMounts,
    };
}

/** The reloader: a Secret update becomes a SIGHUP, and its watchdog speaks IRC to catbox. */
function reloaderContainer(a: PodTemplateArgs, configMounts: Mounts) {
    return {
        name: "reloader",
        image: a.reloaderImage,
        command: ["sh", `${reloaderDir}/${reloaderScriptFile}`],
        env: [
            { name: "CONFIG_DIR", value: configMounts.map((m) => m.mountPath).join(" ") },
            { name: "TARGET_NAME", value: catboxProcessName },
            { name: "HEALTH_PORT", value: String(containerLinkPort) },
            { name: "STATE_DIR", value: watchdogStateDir },
            // Which daemon this is: a hub's reloader keeps one link between regions (relink-n.conf).
            { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        ],
        // Ready while catbox answers IRC (the watchdog's last check).
        readinessProbe: { exec: { command: ["test", "-f", `${watchdogStateDir}/healthy`] }, periodSeconds: readinessPeriodSeconds },
        resources: {
            requests: { cpu: `${reloaderSize.cpuRequestMilli}m`, memory: `${reloaderSize.memoryMiB}Mi` },
            limits: { cpu: `${reloaderSize.cpuLimitMilli}m`, memory: `${reloaderSize.memoryMiB}Mi` },
        },
        securityContext: restrictedContainer,
        volumeMounts: [
            ...configMounts,
            { name: "reloader", mountPath: reloaderDir, readOnly: true },
            { name: "watchdog", mountPath: watchdogStateDir },
        ],
    };
}
