// Platform kubeconfig and the dev stack: the network only, on a cluster the stack does not own.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { configDefaults } from "../../components/config/keys";
import { readStackFile } from "../../harness/offline/stack";
import { runOffline } from "../../harness/offline/engine";
import { containerOf, one, podSpecOf, run, T } from "../support/helpers";

const kubeconfigPlatform = { platform: "kubeconfig", image: "localhost:5001/catbox:v1.13.0" };

describe("platform kubeconfig", () => {
    it("the dev stack's and docs/dev-stack.md's build commands build the default catboxVersion, and the stack runs that image", () => {
        const version = String(configDefaults().catboxVersion);
        const tag = `catbox:${version.slice(0, 7)}`;
        const root = path.join(__dirname, "..", "..");
        for (const file of ["Pulumi.dev.yaml", "docs/dev-stack.md"]) {
            const text = readFileSync(path.join(root, file), "utf8");
            const builds = [
                ...text.matchAll(/docker build --build-arg CATBOX_VERSION=("\$\(npm run --silent catbox-version\)"|\S+) -t (\S+) configs\//g),
            ];
            assert.ok(builds.length > 0, `${file}: no build command`);
            // A literal version is the default's, tagged with its short form; otherwise it is read from the schema.
            for (const [, built, builtTag] of builds) {
                if (built === '"$(npm run --silent catbox-version)"') continue;
                assert.deepEqual([built, builtTag], [version, tag], file);
            }
            // The prober's image, built from its own folder.
            const proberBuilds = [...text.matchAll(/docker build -t (\S+) prober\//g)].map((b) => b[1]);
            const tags = [...builds.map((b) => b[2]), ...proberBuilds];
            for (const [, loaded] of text.matchAll(/kind load docker-image ([a-z][^\s…]*) /g)) {
                assert.ok(tags.includes(loaded), `${file}: loads ${loaded}, builds ${tags}`);
            }
        }
        assert.equal(readStackFile("dev").config["catbox-gke:image"], tag);
        const readme = readFileSync(path.join(root, "docs", "dev-stack.md"), "utf8");
        assert.ok(
            readme.includes(`docker build -t ${readStackFile("dev").config["catbox-gke:proberImage"]} prober/`),
            "docs/dev-stack.md builds the dev stack's proberImage",
        );
        // What the README's and the e2e job's builds read instead of a literal.
        const printed = spawnSync("npm", ["run", "--silent", "catbox-version"], { cwd: root, encoding: "utf8" });
        assert.equal(printed.stdout.trim(), version, printed.stderr);
    });

    it("the dev stack registers no GCP (or image-building) resource, only the network", async () => {
        const { config, secretKeys } = readStackFile("dev");
        const { resources, outputs } = await runOffline({ config, secretKeys, stack: "dev" });
        const foreign = resources.filter((r) => r.type.startsWith("gcp:") || r.type.startsWith("docker:") || r.type === "pulumi:providers:gcp");
        assert.deepEqual(
            foreign.map((r) => r.type),
            [],
        );
        const kinds = resources
            .filter((r) => r.type.startsWith("kubernetes:"))
            .map((r) => r.type.split(":").pop())
            .sort();
        assert.deepEqual(kinds, [
            "ConfigMap",
            "Deployment",
            "Namespace",
            "NetworkPolicy",
            "PodDisruptionBudget",
            "Secret",
            "Service",
            "Service",
            "Service",
            "Service",
            "StatefulSet",
        ]);
        assert.equal(outputs.ircUrl, undefined);
        assert.equal(outputs.platform, "kubeconfig");
    });

    it("dev: self-signed TLS, a NodePort client Service without a static IP, anti-affinity only preferred", async () => {
        const { config, secretKeys } = readStackFile("dev");
        const { resources } = await runOffline({ config, secretKeys, stack: "dev" });
        assert.equal(resources.filter((r) => r.type === T.selfSignedCert).length, 1);
        const client = resources.find((r) => r.name === "irc-client")!.inputs.spec;
        assert.equal(client.type, "NodePort");
        assert.equal(client.loadBalancerIP, undefined);
        assert.equal(resources.find((r) => r.name === "irc-client")!.inputs.metadata.annotations, undefined, "GKE's annotations on another cluster");
        const affinity = podSpecOf(resources).affinity.podAntiAffinity;
        assert.equal(affinity.requiredDuringSchedulingIgnoredDuringExecution, undefined, "one node must be able to hold every pod");
        assert.ok(affinity.preferredDuringSchedulingIgnoredDuringExecution);
    });

    it("uses the current context by default, a context by name, or a kubeconfig (kept secret), decided once", async () => {
        const provider = async (values: Record<string, string>, secretKeys: string[] = []) =>
            one((await run({ ...kubeconfigPlatform, ...values }, secretKeys, { extra: {} })).resources, T.k8sProvider);
        const current = await provider({});
        assert.equal(current.inputs.kubeconfig, undefined);
        assert.equal(current.inputs.context, undefined);
        assert.equal(current.inputs.enableSecretMutable, "true");
        assert.equal((await provider({ kubeContext: "kind-irc" })).inputs.context, "kind-irc");
        assert.equal((await provider({ kubeconfig: "kind-irc" }, ["kubeconfig"])).inputs.context, "kind-irc");
        for (const contents of ["apiVersion: v1\nkind: Config\n", '{"apiVersion":"v1","kind":"Config"}']) {
            const fromFile = await provider({ kubeconfig: contents }, ["kubeconfig"]);
            assert.equal(fromFile.inputs.kubeconfig, contents);
            assert.equal(fromFile.inputs.context, undefined);
            assert.deepEqual(fromFile.secretInputs, ["kubeconfig"]);
        }
    });

    it("the workloads run the image given, as given", async () => {
        const { resources } = await run(kubeconfigPlatform, [], { extra: {} });
        assert.equal(containerOf(resources, "catbox").image, kubeconfigPlatform.image);
    });

    it("without an image, stops with a config error naming image", async () => {
        await assert.rejects(
            run({ platform: "kubeconfig" }, [], { extra: {} }),
            /catbox-gke:image = \(unset\): is required with platform kubeconfig/,
        );
    });
});
