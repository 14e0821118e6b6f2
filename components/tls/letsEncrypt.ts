// A certificate every client trusts, on the network's own name, issued and
// renewed inside the cluster: cert-manager (installed by the stack) answers
// Let's Encrypt's DNS-01 challenge in the operator's Cloud DNS zone, as a
// Google service account that may change that one zone's records and nothing
// else, reached through Workload Identity. The issued pair lands in the Secret
// the pods mount (components/network/ircNetwork.ts); kubelet's swap of it gets catbox a
// SIGHUP from the reloader, so a renewal drops no client.
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { serviceAccountId } from "../platform/gcpNames";
import { certManagerPodSize } from "../catbox/sizing";
import { inZone } from "../platform/zone";

/** The cert-manager release the stack installs: a pinned chart, from Jetstack's Helm repository. */
export const certManagerChart = { name: "cert-manager", version: "v1.21.2", repo: "https://charts.jetstack.io" };
/** cert-manager's namespace and its controller's Kubernetes service account (the chart's name for it). */
const certManagerNamespace = "cert-manager";
const certManagerServiceAccount = "cert-manager";

export const acmeServers = {
    production: "https://acme-v02.api.letsencrypt.org/directory",
    staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

export interface LetsEncryptArgs {
    project: string;
    networkName: string;
    /** The Cloud DNS managed zone (its name) that holds hostname, and its DNS name. */
    dnsZone: string;
    zoneDnsName: string;
    hostname: string;
    /** Server names: those inside the zone are on the certificate too. */
    serverNames: string[];
    acmeServer: keyof typeof acmeServers;
    email?: string;
    /** The IRC namespace, and the Secret there that the pods mount. */
    namespace: pulumi.Input<string>;
    secretName: pulumi.Input<string>;
    provider: k8s.Provider;
    /** The cluster's Workload Identity pool (`<project>.svc.id.goog`), from the cluster itself. */
    workloadPool: pulumi.Input<string>;
}

/** Names in `zone` (a DNS name with or without its final dot): the zone's own name or below it. */
export function namesInZone(names: string[], zone: string): string[] {
    return names.filter((n) => inZone(n, zone));
}

/** Small but enough: cert-manager's controller, webhook and cainjector on an e2-small (the config check counts them). */
const smallPod = {
    requests: { cpu: `${certManagerPodSize.cpuRequestMilli}m`, memory: `${certManagerPodSize.memoryMiB}Mi` },
    limits: { memory: `${certManagerPodSize.memoryLimitMiB}Mi` },
};

export class LetsEncrypt extends pulumi.ComponentResource {
    readonly dnsServiceAccount: gcp.serviceaccount.Account;
    readonly zoneAdmin: gcp.dns.DnsManagedZoneIamMember;
    readonly workloadIdentity: gcp.serviceaccount.IAMMember;
    readonly certManager: k8s.helm.v3.Release;
    readonly issuer: k8s.apiextensions.CustomResource;
    readonly certificate: k8s.apiextensions.CustomResource;
    /** cert-manager's namespace, once the release has made it. */
    readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: LetsEncryptArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:LetsEncrypt", name, {}, opts);
        const k8sOpts = { parent: this, provider: args.provider };

        const identity = this.dnsIdentity(name, args);
        this.dnsServiceAccount = identity.account;
        this.zoneAdmin = identity.zoneAdmin;
        this.workloadIdentity = identity.workloadIdentity;

        this.certManager = new k8s.helm.v3.Release(
            `${name}-cert-manager`,
            {
                name: "cert-manager",
                chart: certManagerChart.name,
                version: certManagerChart.version,
                repositoryOpts: { repo: certManagerChart.repo },
                namespace: certManagerNamespace,
                createNamespace: true,
                values: certManagerValues(this.dnsServiceAccount.email),
            },
            { ...k8sOpts, dependsOn: [this.workloadIdentity, this.zoneAdmin] },
        );

        this.namespace = this.certManager.id.apply(() => certManagerNamespace);

        // A ClusterIssuer: cert-manager lets only cluster issuers use ambient credentials (Workload Identity).
        this.issuer = new k8s.apiextensions.CustomResource(
            `${name}-issuer`,
            {
                apiVersion: "cert-manager.io/v1",
                kind: "ClusterIssuer",
                metadata: { name: `${args.networkName}-letsencrypt-${args.acmeServer}` },
                spec: issuerSpec(args),
            },
            { ...k8sOpts, dependsOn: [this.certManager] },
        );

        const dnsNames = [...new Set([args.hostname, ...namesInZone(args.serverNames, args.zoneDnsName)])];
        this.certificate = new k8s.apiextensions.CustomResource(
            `${name}-certificate`,
            {
                apiVersion: "cert-manager.io/v1",
                kind: "Certificate",
                metadata: { name: args.networkName, namespace: args.namespace },
                spec: {
                    secretName: args.secretName,
                    dnsNames,
                    issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: this.issuer.metadata.name },
                    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
                },
            },
            { ...k8sOpts, dependsOn: [this.issuer] },
        );

        this.registerOutputs({ certificate: this.certificate.metadata.name });
    }

    /** cert-manager's GCP identity: an account of its own, admin of the zone's records only, that its Kubernetes account may act as. */
    private dnsIdentity(name: string, args: LetsEncryptArgs) {
        const account = new gcp.serviceaccount.Account(
            `${name}-dns01`,
            {
                project: args.project,
                accountId: serviceAccountId(args.networkName, "dns01"),
                displayName: `cert-manager's DNS-01 answers for the ${args.networkName} IRC network`,
            },
            { parent: this },
        );
        // The zone's records, and no other zone's: a zone-level grant, not a project-wide DNS role.
        const zoneAdmin = new gcp.dns.DnsManagedZoneIamMember(
            `${name}-zone-admin`,
            {
                project: args.project,
                managedZone: args.dnsZone,
                role: "roles/dns.admin",
                member: account.member,
            },
            { parent: this },
        );
        const workloadIdentity = new gcp.serviceaccount.IAMMember(
            `${name}-workload-identity`,
            {
                serviceAccountId: account.name,
                role: "roles/iam.workloadIdentityUser",
                // From the cluster's own output: the pool exists only once GKE has made the project's
                // first Workload Identity cluster, and IAM refuses a member in a pool that does not.
                member: pulumi.interpolate`serviceAccount:${args.workloadPool}[${certManagerNamespace}/${certManagerServiceAccount}]`,
            },
            { parent: this },
        );
        return { account, zoneAdmin, workloadIdentity };
    }
}

/** The chart's values: its CRDs kept on uninstall, its account cert-manager's GCP one (Workload Identity), small pods. */
function certManagerValues(gcpServiceAccount: pulumi.Output<string>) {
    return {
        crds: { enabled: true, keep: true },
        serviceAccount: { name: certManagerServiceAccount, annotations: { "iam.gke.io/gcp-service-account": gcpServiceAccount } },
        resources: smallPod,
        webhook: { resources: smallPod },
        cainjector: { resources: smallPod },
        startupapicheck: { resources: smallPod },
        // The chart's defaults already run every container non-root, read-only, with no capability.
    };
}

/** The ACME account at the chosen server, answering DNS-01 in the zone. */
function issuerSpec(args: LetsEncryptArgs) {
    return {
        acme: {
            server: acmeServers[args.acmeServer],
            ...(args.email ? { email: args.email } : {}),
            privateKeySecretRef: { name: `${args.networkName}-letsencrypt-${args.acmeServer}-account` },
            solvers: [{ dns01: { cloudDNS: { project: args.project, hostedZoneName: args.dnsZone } } }],
        },
    };
}
