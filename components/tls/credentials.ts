// The network's secrets that the article kept in files by hand: the link secret
// every pair's password is derived from, and the TLS pair clients see.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";

export interface CredentialsArgs {
    /** A link secret from stack config; generated when absent. */
    linkSecret?: pulumi.Input<string>;
    /** `provided` certificate and key from stack config; a self-signed pair is generated when absent. */
    provided?: { certificatePem: pulumi.Input<string>; keyPem: pulumi.Input<string> };
    /** Host names the self-signed certificate is for. */
    dnsNames: string[];
}

/** About three years; `pulumi up` renews it in its last 30 days. */
const validityHours = 3 * 365 * 24;
const renewalHours = 30 * 24;

export class Credentials extends pulumi.ComponentResource {
    readonly linkSecret: pulumi.Output<string>;
    readonly certificatePem: pulumi.Output<string>;
    readonly keyPem: pulumi.Output<string>;

    constructor(name: string, args: CredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:Credentials", name, {}, opts);
        const parent = { parent: this };

        if (args.linkSecret !== undefined) {
            this.linkSecret = pulumi.secret(args.linkSecret);
        } else {
            // Alphanumeric: catbox's line format reserves ',', '#' and '='.
            this.linkSecret = new random.RandomPassword(`${name}-link-secret`, { length: 48, special: false }, parent).result;
        }

        if (args.provided) {
            this.certificatePem = pulumi.output(args.provided.certificatePem);
            this.keyPem = pulumi.secret(args.provided.keyPem);
        } else {
            const key = new tls.PrivateKey(`${name}-tls-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
            const cert = new tls.SelfSignedCert(
                `${name}-tls-cert`,
                {
                    privateKeyPem: key.privateKeyPem,
                    subject: { commonName: args.dnsNames[0], organization: "catbox-gke" },
                    dnsNames: args.dnsNames,
                    validityPeriodHours: validityHours,
                    earlyRenewalHours: renewalHours,
                    allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                },
                parent,
            );
            this.certificatePem = cert.certPem;
            this.keyPem = pulumi.secret(key.privateKeyPem);
        }

        this.registerOutputs({ certificatePem: this.certificatePem });
    }
}
