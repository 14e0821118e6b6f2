// Every Kubernetes object the stacks would create, validated against the
// Kubernetes OpenAPI schemas (kubernetes-models), as `npm run render` writes them.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { manifestOf, render } from "../../scripts/render";
import { run, T } from "../support/helpers";

type Model = new (data: any) => { validate(): void };

async function modelFor(apiVersion: string, kind: string): Promise<Model> {
    const modules: Record<string, () => Promise<Record<string, unknown>>> = {
        v1: () => import("kubernetes-models/v1"),
        "apps/v1": () => import("kubernetes-models/apps/v1"),
        "policy/v1": () => import("kubernetes-models/policy/v1"),
        "networking.k8s.io/v1": () => import("kubernetes-models/networking.k8s.io/v1"),
        "rbac.authorization.k8s.io/v1": () => import("kubernetes-models/rbac.authorization.k8s.io/v1"),
        // cert-manager's own CRD schemas (tlsMode letsEncrypt).
        "cert-manager.io/v1": () => import("@kubernetes-models/cert-manager/cert-manager.io/v1"),
    };
    const load = modules[apiVersion];
    assert.ok(load, `no schema loaded for ${apiVersion}`);
    const model = (await load())[kind] as Model | undefined;
    assert.ok(model, `no schema for ${apiVersion} ${kind}`);
    return model;
}

async function validate(manifest: any) {
    const Model = await modelFor(manifest.apiVersion, manifest.kind);
    assert.doesNotThrow(() => new Model(manifest).validate(), `${manifest.kind} ${manifest.metadata?.name}`);
}

describe("Kubernetes manifests against the published schemas", () => {
    for (const stack of ["prod", "dev", "prod-us"]) {
        it(`npm run render -- ${stack}: every manifest it writes is valid`, async () => {
            const out = mkdtempSync(path.join(tmpdir(), `render-${stack}-`));
            try {
                await render(stack, { showSecrets: false, outDir: out });
                // A Helm release is no object of its own (what it installs is the chart's, pinned);
                // Managed Prometheus' PodMonitoring has no published schema package (see observability.test.ts).
                const files = readdirSync(path.join(out, "manifests")).filter(
                    (f) => !f.startsWith("helm-release-") && !f.includes("-podmonitoring-"),
                );
                assert.ok(files.length >= 10, files.join(", "));
                for (const f of files) await validate(parse(readFileSync(path.join(out, "manifests", f), "utf8")));
            } finally {
                rmSync(out, { recursive: true, force: true });
            }
        });
    }

    for (const [what, values] of [
        [
            "plaintext published, 20 daemons, spot nodes",
            { exposePlaintext: "true", replicas: "20", spotNodes: "true", nodeCount: "10", machineType: "e2-standard-2" },
        ],
        ["one daemon, a regional cluster", { replicas: "1", clusterLocation: "us-west1" }],
        ["platform kubeconfig with a NodePort", { platform: "kubeconfig", image: "catbox:v1.13.0", clientServiceType: "NodePort" }],
        [
            "platform kubeconfig with the web client",
            { platform: "kubeconfig", image: "catbox:v1.13.0", webClient: "true", webImage: "catbox-web:dev" },
        ],
        [
            "letsEncrypt with a preview account",
            {
                tlsMode: "letsEncrypt",
                hostname: "irc.example.org",
                dnsZone: "example-org",
                previewServiceAccount: "pulumi-preview@my-irc-project.iam.gserviceaccount.com",
            },
        ],
        [
            "letsEncrypt with the web client and IRC services",
            {
                tlsMode: "letsEncrypt",
                hostname: "irc.example.org",
                dnsZone: "example-org",
                adminEmail: "ops@irc-operators.net",
                webClient: "true",
                services: "true",
            },
        ],
    ] as const) {
        it(`${what}: every object is valid`, async () => {
            const { resources } = await run(values);
            // A Helm release is no object of its own (what it installs is the chart's, pinned).
            const objects = resources.filter(
                (r) => r.custom && r.type.startsWith("kubernetes:") && r.type !== T.helmRelease && r.type !== T.podMonitoring,
            );
            assert.ok(objects.length >= 9);
            for (const r of objects) await validate(manifestOf(r, true));
        });
    }
});
