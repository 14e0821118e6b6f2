// The IRC network on Kubernetes: everything the article applied with kubectl
// (namespace, Secret, StatefulSet, per-pod and client Services), plus what it
// left out (a disruption budget, a NetworkPolicy) and the reload it did by hand.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CatboxSecrets, renderNetworkFiles } from "../catbox/files";
import {
    bansScriptFile,
    containerLinkPort,
    containerTlsPort,
    issuedTlsFiles,
    issuedTlsSecretName,
    podName,
    reloaderScriptFile,
} from "../catbox/names";
import { podTemplate, type PodSpec } from "./podTemplate";
import { hubPort } from "../regions/endpoints";

/** GKE's annotations for a LoadBalancer Service. */
const gkeLoadBalancer = {
    backendService: "cloud.google.com/l4-rbs",
    addressNames: "networking.gke.io/load-balancer-ip-addresses",
} as const;

export const reloaderScriptPath = path.join(__dirname, "..", "..", "configs", reloaderScriptFile);

export interface IrcNetworkArgs {
    config: PodSpec & { clientPort: number; exposePlaintext: boolean; clientServiceType: "LoadBalancer" | "NodePort" };
    /** The catbox image; by digest where the stack builds it. */
    image: pulumi.Input<string>;
    /** The reloader's image; the stack's own copy, by digest, with platform gke. */
    reloaderImage: pulumi.Input<string>;
    credentials: { [K in keyof CatboxSecrets]: pulumi.Input<CatboxSecrets[K]> };
    /** The static IP of the client Service (platform gke). */
    /** The name of the static IP address the client Service takes (platform gke). */
    clientAddressName?: pulumi.Input<string>;
    /** Nodes the pods can spread over, where known: with at least one per pod, anti-affinity is required. */
    nodesTotal?: number;
    /**
     * With peer regions (platform gke): the names of the hubs' static addresses,
     * one per hub; hub n gets a LoadBalancer of its own on its TLS port.
     */
    hubAddressNames?: pulumi.Input<string>[];
    /**
     * Workloads beside the network that may reach the daemons' link port (plaintext,
     * in the cluster), by their pods' labels: the prober's client, a feature's own.
     * The TLS client port is open to all.
     */
    linkPortAdmits?: Record<string, string>[];
    provider: k8s.Provider;
}

export class IrcNetwork extends pulumi.ComponentResource {
    readonly namespace: k8s.core.v1.Namespace;
    readonly secret: k8s.core.v1.Secret;
    /** With tlsMode letsEncrypt: the Secret the issued certificate goes into, a stand-in pair until then. */
    readonly tlsSecret?: k8s.core.v1.Secret;
    readonly reloaderScript: k8s.core.v1.ConfigMap;
    readonly headlessService: k8s.core.v1.Service;
    readonly linkServices: k8s.core.v1.Service[];
    readonly clientService: k8s.core.v1.Service;
    /** With peer regions: each hub's public endpoint, reaching exactly that pod. */
    readonly hubServices: k8s.core.v1.Service[];
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    readonly podDisruptionBudget: k8s.policy.v1.PodDisruptionBudget;
    readonly networkPolicy: k8s.networking.v1.NetworkPolicy;

    constructor(name: string, args: IrcNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:IrcNetwork", name, {}, opts);
        const cfg = args.config;
        const net = cfg.networkName;
        const childOpts = { parent: this, provider: args.provider };
        const labels = { "app.kubernetes.io/name": "catbox", "app.kubernetes.io/instance": net, "app.kubernetes.io/managed-by": "pulumi" };
        const selector = { "app.kubernetes.io/name": "catbox", "app.kubernetes.io/instance": net };

        this.namespace = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: namespaceMetadata(cfg.namespace, labels) }, childOpts);
        const namespace = this.namespace.metadata.name;
        const at: Placement = { name, net, childOpts, selector, meta: (objName) => ({ name: objName, namespace, labels }) };

        const files = this.configObjects(at, args);
        this.secret = files.secret;
        this.tlsSecret = files.tlsSecret;
        this.reloaderScript = files.reloaderScript;
        const services = this.services(at, args);
        this.headlessService = services.headless;
        this.linkServices = services.links;
        this.clientService = services.client;
        this.hubServices = services.hubs;

        this.statefulSet = new k8s.apps.v1.StatefulSet(
            `${name}-statefulset`,
            {
                metadata: at.meta(net),
                spec: {
                    serviceName: this.headlessService.metadata.name,
                    replicas: cfg.replicas,
                    // The daemons link to each other: start them together, not one by one.
                    podManagementPolicy: "Parallel",
                    updateStrategy: { type: "RollingUpdate" },
                    selector: { matchLabels: selector },
                    template: podTemplate({
                        cfg,
                        labels,
                        selector,
                        image: args.image,
                        reloaderImage: args.reloaderImage,
                        nodesTotal: args.nodesTotal,
                        reloaderScript: files.script,
                        volumes: {
                            config: this.secret.metadata.name,
                            issuedTls: this.tlsSecret?.metadata.name,
                            reloader: this.reloaderScript.metadata.name,
                        },
                    }),
                },
            },
            childOpts,
        );
        this.podDisruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            { metadata: at.meta(net), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
            childOpts,
        );
        this.networkPolicy = new k8s.networking.v1.NetworkPolicy(
            `${name}-network-policy`,
            { metadata: at.meta(net), spec: networkPolicySpec(cfg.exposePlaintext, selector, args.linkPortAdmits ?? []) },
            childOpts,
        );

        this.registerOutputs({
            namespace,
            secretName: this.secret.metadata.name,
            statefulSetName: this.statefulSet.metadata.name,
            clientServiceName: this.clientService.metadata.name,
        });
    }

    /**
     * The article's `kubectl create secret --from-file=…`: every file of every
     * daemon. The provider updates it in place (enableSecretMutable), so a
     * change is a kubelet swap that the reloader turns into a SIGHUP. Beside it,
     * the issued pair's Secret (letsEncrypt) and the reloader's script.
     */
    private configObjects(at: Placement, args: IrcNetworkArgs) {
        const cfg = args.config;
        const stringData = pulumi
            .all([args.credentials.linkSecret, args.credentials.certificatePem, args.credentials.keyPem])
            .apply(([linkSecret, certificatePem, keyPem]) => renderNetworkFiles(cfg, { linkSecret, certificatePem, keyPem }));
        const secret = new k8s.core.v1.Secret(
            `${at.name}-config`,
            { metadata: at.meta(`${at.net}-config`), type: "Opaque", stringData: pulumi.secret(stringData) },
            at.childOpts,
        );
        // With letsEncrypt, catbox serves the pair cert-manager keeps in a Secret of its own.
        // catbox must start with a pair in place (a rehash that adds TLS to a daemon started
        // without it crashes it), so the stack creates that Secret with the generated
        // self-signed pair; cert-manager overwrites it when Let's Encrypt issues, and kubelet's
        // swap of it gets catbox a SIGHUP like any config change. From then on the data is
        // cert-manager's: the stack never writes it again.
        const tlsSecret =
            cfg.tlsMode !== "letsEncrypt"
                ? undefined
                : new k8s.core.v1.Secret(
                      `${at.name}-tls`,
                      {
                          metadata: at.meta(issuedTlsSecretName(at.net)),
                          type: "kubernetes.io/tls",
                          stringData: pulumi.secret(
                              pulumi.all([args.credentials.certificatePem, args.credentials.keyPem]).apply(([crt, key]) => ({
                                  [issuedTlsFiles.certificate]: crt,
                                  [issuedTlsFiles.key]: key,
                              })),
                          ),
                      },
                      { ...at.childOpts, ignoreChanges: ["stringData", "data"] },
                  );
        const scripts = Object.fromEntries(
            [reloaderScriptFile, bansScriptFile].map((file) => [file, readFileSync(path.join(path.dirname(reloaderScriptPath), file), "utf8")]),
        );
        const reloaderScript = new k8s.core.v1.ConfigMap(
            `${at.name}-reloader`,
            { metadata: at.meta(`${at.net}-reloader`), data: scripts },
            at.childOpts,
        );
        // Both scripts, so that a change of either rolls the pods.
        return { secret, tlsSecret, reloaderScript, script: Object.values(scripts).join("\0") };
    }

    /**
     * The headless Service; one Service per pod, so that daemon m is always
     * `<net>-m.<ns>.svc…` in every servers file, whatever its pod IP; the client
     * Service; and each hub's, reachable from the peer regions on its TLS port
     * (where catbox takes servers as well as clients), by its own address.
     */
    private services(at: Placement, args: IrcNetworkArgs) {
        const cfg = args.config;
        const ports = [{ name: "irc", port: cfg.linkPort, targetPort: "irc", protocol: "TCP" }];
        const service = (suffix: string, metadata: object, spec: object) =>
            new k8s.core.v1.Service(`${at.name}-${suffix}`, { metadata, spec }, at.childOpts);
        const onePod = (n: number) => ({ "statefulset.kubernetes.io/pod-name": podName(at.net, n) });
        return {
            headless: service("headless", at.meta(`${at.net}-headless`), { clusterIP: "None", selector: at.selector, ports }),
            links: Array.from({ length: cfg.replicas }, (_, n) =>
                service(`link-${n}`, at.meta(podName(at.net, n)), { type: "ClusterIP", selector: onePod(n), ports }),
            ),
            client: service(
                "client",
                { ...at.meta(at.net), ...clientAnnotations(args.clientAddressName) },
                {
                    type: cfg.clientServiceType,
                    // Keep clients' source addresses: IRC bans and host masks match on them.
                    externalTrafficPolicy: "Local",
                    selector: at.selector,
                    ports: [
                        { name: "ircs", port: cfg.clientPort, targetPort: "ircs", protocol: "TCP" },
                        ...(cfg.exposePlaintext ? [{ name: "irc", port: cfg.linkPort, targetPort: "irc", protocol: "TCP" }] : []),
                    ],
                },
            ),
            hubs: (args.hubAddressNames ?? []).map((addressName, n) =>
                service(
                    `hub-${n}`,
                    { ...at.meta(`${podName(at.net, n)}-hub`), ...clientAnnotations(addressName) },
                    {
                        type: "LoadBalancer",
                        externalTrafficPolicy: "Local",
                        selector: onePod(n),
                        ports: [{ name: "ircs", port: hubPort, targetPort: "ircs", protocol: "TCP" }],
                    },
                ),
            ),
        };
    }
}

/** Where the network's objects go: their names' prefix, the network, the options and labels they share. */
interface Placement {
    name: string;
    net: string;
    childOpts: pulumi.CustomResourceOptions;
    selector: Record<string, string>;
    meta: (objName: string) => { name: string; namespace: pulumi.Output<string>; labels: Record<string, string> };
}

/** The namespace, held to Pod Security "restricted". */
function namespaceMetadata(name: string, labels: Record<string, string>) {
    return {
        name,
        labels: {
            ...labels,
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
        },
    };
}

/**
 * GKE's backend service-based external passthrough load balancer (its
 * recommended kind; the target-pool one is not), on a reserved address by
 * name: spec.loadBalancerIP is deprecated. None where there is no address.
 */
function clientAnnotations(addressName: pulumi.Input<string> | undefined) {
    return addressName === undefined
        ? {}
        : { annotations: { [gkeLoadBalancer.backendService]: "enabled", [gkeLoadBalancer.addressNames]: addressName } };
}

/**
 * Links (and plaintext clients, unless published) only from this network's
 * daemons and its prober; TLS clients from anywhere.
 */
function networkPolicySpec(exposePlaintext: boolean, selector: Record<string, string>, admitted: Record<string, string>[]) {
    const link = { ports: [{ port: containerLinkPort, protocol: "TCP" }] };
    const from = [selector, ...admitted].map((matchLabels) => ({ podSelector: { matchLabels } }));
    return {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress"],
        ingress: [exposePlaintext ? link : { from, ...link }, { ports: [{ port: containerTlsPort, protocol: "TCP" }] }],
    };
}
