// What the cloud would answer, offline: the outputs the program reads of each
// resource (an address, a digest, an account's email …) and the one invoke it
// makes, deterministic for the same inputs so that two runs register the same.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { invokeTokens, resourceTypes } from "./resourceTypes";
import { unwrap } from "./secrets";

const fixtureDir = path.join(__dirname, "fixtures");
const projectRoot = path.join(__dirname, "..", "..");
/** A throwaway self-signed pair, committed on purpose: what the mock TLS provider "generates". */
export const placeholderTls = {
    certificatePem: readFileSync(path.join(fixtureDir, "placeholder-tls.crt"), "utf8"),
    keyPem: readFileSync(path.join(fixtureDir, "placeholder-tls.key"), "utf8"),
};

const digestOf = (...parts: string[]) => createHash("sha256").update(parts.join("\0")).digest("hex");

/** Other stacks' outputs, by stack name, for this run's StackReferences (a stack not here has none yet). */
export const otherStacks = new Map<string, Record<string, unknown>>();

/** The cluster IP Kubernetes would give the Service `name`: one of the service CIDR, fixed by the name. */
export function mockClusterIp(name: string): string {
    const hex = digestOf(name);
    return `10.96.${parseInt(hex.slice(0, 4), 16) % 256}.${(parseInt(hex.slice(4, 8), 16) % 254) + 1}`;
}

/** What the cloud would fill in: outputs the program reads, deterministic for the same inputs. */
function mockState(args: pulumi.runtime.MockResourceArgs, i: Record<string, any>): Record<string, any> {
    switch (args.type) {
        case resourceTypes.cluster:
            return {
                endpoint: "203.0.113.10",
                masterAuth: { clusterCaCertificate: Buffer.from("mock cluster CA").toString("base64") },
            };
        case resourceTypes.address:
            // The engine names it as Pulumi autonames: the resource's name and a random suffix.
            return { address: "203.0.113.7", name: i.name ?? `${args.name}-${digestOf(args.name).slice(0, 7)}` };
        case resourceTypes.serviceAccount: {
            const email = `${i.accountId}@${i.project}.iam.gserviceaccount.com`;
            return { email, member: `serviceAccount:${email}`, name: `projects/${i.project}/serviceAccounts/${email}` };
        }
        case resourceTypes.uptimeCheck:
            return { uptimeCheckId: `${args.name}-${digestOf(JSON.stringify(i)).slice(0, 8)}` };
        case resourceTypes.notificationChannel:
            return { name: `projects/${i.project}/notificationChannels/${digestOf(args.name).slice(0, 12)}` };
        case resourceTypes.repositoryIam:
        case resourceTypes.projectIam:
            return { etag: "BwMockEtag=" };
        case resourceTypes.image: {
            // Relative to the project, as pulumi-docker reads it.
            const dockerfile = readFileSync(path.resolve(projectRoot, i.build.dockerfile), "utf8");
            const repo = String(i.imageName).replace(/:[^/:]+$/, "");
            return { repoDigest: `${repo}@sha256:${digestOf(i.imageName, dockerfile, JSON.stringify(i.build.args ?? {}))}` };
        }
        case resourceTypes.randomPassword:
            return { result: pulumi.secret(`mock${digestOf(args.name).slice(0, Math.max(0, i.length - 4))}`) };
        case resourceTypes.privateKey:
            return { privateKeyPem: pulumi.secret(placeholderTls.keyPem) };
        case resourceTypes.selfSignedCert:
            return { certPem: placeholderTls.certificatePem };
        case resourceTypes.service:
            // The cluster IP Kubernetes gives a Service (none for a headless one), from the service CIDR.
            return i.spec?.clusterIP === "None" ? {} : { spec: { ...i.spec, clusterIP: mockClusterIp(args.name) } };
        case resourceTypes.stackReference:
            return { name: i.name, outputs: otherStacks.get(i.name) ?? {}, secretOutputNames: [] };
        default:
            return {};
    }
}

export const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
        const i = unwrap(args.inputs);
        // GKE's id is the cluster's path, which the provider's clusterIdentifier takes.
        const id = args.type === resourceTypes.cluster ? `projects/${i.project}/locations/${i.location}/clusters/${i.name}` : `${args.name}-id`;
        return { id, state: { ...args.inputs, ...mockState(args, i) } };
    },
    call(args) {
        // Offline, every Cloud DNS zone is example.org. (the committed stacks' domain).
        // Offline, an existing address is always there, at 203.0.113.8.
        if (args.token === invokeTokens.address) {
            return { name: args.inputs.name, project: args.inputs.project, region: args.inputs.region, address: "203.0.113.8", status: "RESERVED" };
        }
        if (args.token === invokeTokens.managedZone) {
            return {
                name: args.inputs.name,
                project: args.inputs.project,
                dnsName: "example.org.",
                id: `projects/${args.inputs.project}/managedZones/${args.inputs.name}`,
            };
        }
        throw new Error(`unexpected invoke ${args.token} in an offline run`);
    },
};
