// The stack config as the runtime hands it over, and validated, as the rest of
// the program sees it: a union by platform and TLS mode, so that each says
// which keys it has. Pure.
import type { NetworkSpec } from "../catbox/spec";
import type { Parsed, User } from "./keys";

/** What the Pulumi runtime hands us: raw strings, and which of them are secrets. */
export interface RawConfig {
    /** `catbox-gke:` keys without the prefix; values as Pulumi passes them (strings, JSON for objects). */
    values: Record<string, string>;
    /** Keys (without prefix) whose values are Pulumi secrets. */
    secretKeys: ReadonlySet<string>;
    /** The gcp provider's own config (`gcp:project`, …), used for defaults. */
    gcp?: { project?: string; region?: string; zone?: string };
    /** This stack's name, which its peer regions' must differ from. */
    stack?: string;
}

/**
 * Which cluster platform kubeconfig deploys onto: the current context, a context
 * by name, or the kubeconfig given (its contents are a secret: index.ts reads them
 * as one).
 */
export type ExistingClusterSource = { kind: "current" } | { kind: "context"; name: string } | { kind: "contents" };

/** What every platform and TLS mode shares: every key with its default applied. */
export type Common = Omit<
    Parsed,
    "platform" | "image" | "kubeconfig" | "kubeContext" | "tlsMode" | "tlsCertificate" | "tlsKey" | "dnsZone" | "users" | "region" | "clusterLocation"
> & {
    users: User[];
    /** GCP region of the static IP and the registry (platform gke). */
    region: string;
    /** Zone (zonal cluster) or region (regional cluster). */
    clusterLocation: string;
};

/** Platform gke: the stack makes the cluster, the IP and the registry, and builds the image unless given one. */
export type GkePlatform = { platform: "gke"; gcpProject: string; image?: string; dnsZone?: string };
/** Platform kubeconfig: the network only, onto a cluster the stack does not own, from a prebuilt image. */
export type ExistingPlatform = { platform: "kubeconfig"; image: string; cluster: ExistingClusterSource; kubeconfig?: string };

/** Where the TLS pair clients see comes from. */
export type TlsSource =
    | { tlsMode: "selfSigned" }
    | { tlsMode: "provided"; tlsCertificate: string; tlsKey: string }
    | { tlsMode: "letsEncrypt"; hostname: string; dnsZone: string };

/** The validated stack config; its platform and TLS mode say which keys it has. */
export type CatboxConfig = Common & (GkePlatform | ExistingPlatform) & TlsSource;
export type GkeConfig = Common & GkePlatform & TlsSource;
export type ExistingClusterConfig = Common & ExistingPlatform & TlsSource;

/** The validated config is the network catbox's files are made from: a compile-time check, no value. */
type Fits<T extends NetworkSpec> = T;
export type ConfigIsNetworkSpec = Fits<CatboxConfig>;
