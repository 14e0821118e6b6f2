// `npm run render -- <stack>` as an operator runs it: a separate process.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { readStackFile } from "../../harness/offline/stack";
import { renderArgs } from "../../scripts/render";
import { T } from "../support/helpers";

const root = path.join(__dirname, "..", "..");
/** This run's own output folder: two runs of the tests never write over each other's. */
const outRoot = mkdtempSync(path.join(tmpdir(), "catbox-render-"));
after(() => rmSync(outRoot, { recursive: true, force: true }));

/** The text of the manifest of render's output `out` whose file name holds `part`. */
function manifestText(out: string, part: string): string {
    const file = readdirSync(path.join(out, "manifests")).find((f) => f.includes(part));
    assert.ok(file, `no manifest ${part} in ${out}`);
    return readFileSync(path.join(out, "manifests", file), "utf8");
}

function render(stack: string, ...args: string[]) {
    const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/render.ts", stack, ...args, "--out", path.join(outRoot, stack)], {
        cwd: root,
        encoding: "utf8",
        timeout: 120_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run render's arguments", () => {
    it("a stack, --show-secrets and --out <dir> in any order; anything else is a usage error", () => {
        assert.deepEqual(renderArgs(["prod"]), { stack: "prod", showSecrets: false });
        assert.deepEqual(renderArgs(["--show-secrets", "dev"]), { stack: "dev", showSecrets: true });
        assert.deepEqual(renderArgs(["prod", "--out", "/tmp/x", "--show-secrets"]), { stack: "prod", showSecrets: true, outDir: "/tmp/x" });
        assert.deepEqual(renderArgs(["--out", "x", "dev"]), { stack: "dev", showSecrets: false, outDir: "x" });
        for (const bad of [[], ["--out", "x"], ["prod", "--out"], ["prod", "--out", "--show-secrets"], ["prod", "dev"], ["--verbose", "prod"]]) {
            assert.equal(renderArgs(bad), undefined, bad.join(" "));
        }
    });
});

describe("stack files that are no YAML the CLI reads (test/config/stackFile.test.ts holds the rest)", () => {
    /** readStackFile of a stack file with this text, beside the project's Pulumi.yaml. */
    function read(text: string) {
        const dir = mkdtempSync(path.join(tmpdir(), "catbox-stack-file-"));
        try {
            copyFileSync(path.join(root, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
            writeFileSync(path.join(dir, "Pulumi.s.yaml"), text);
            return readStackFile("s", dir);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    }
    const refused = (text: string, message: RegExp) =>
        assert.throws(
            () => read(text),
            (e: Error) => pulumi.RunError.isInstance(e) && message.test(e.message) && !e.message.includes("\n"),
        );

    it("refuses, in one line each: an undefined alias, an alias bomb, a config that is no map, a key twice", () => {
        refused("config:\n  catbox-gke:motd: *nope\n", /Unresolved alias/);
        const bomb = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
        for (const [prev, name] of ["ab", "bc", "cd", "de", "ef", "fg", "gh", "hi"]) {
            bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
        }
        refused([...bomb, "config:", "  catbox-gke:motd: *i", ""].join("\n"), /alias count/);
        refused("config:\n  - catbox-gke:motd\n", /config: must be a map/);
        refused("config:\n  catbox-gke:motd: a\n  catbox-gke:motd: b\n", /:3:3: not valid YAML: Map keys must be unique/);
    });
});

describe("npm run render", () => {
    it("prod: writes every resource, every manifest and every daemon's files, secrets masked", () => {
        const r = render("prod");
        assert.equal(r.code, 0, r.stderr);
        const out = path.join(outRoot, "prod");
        const table = readFileSync(path.join(out, "resources.txt"), "utf8");
        for (const type of [
            T.cluster,
            T.nodePool,
            T.address,
            T.repository,
            T.image,
            T.serviceAccount,
            T.k8sProvider,
            T.secret,
            T.statefulSet,
            T.networkPolicy,
            T.podDisruptionBudget,
            T.uptimeCheck,
            T.alertPolicy,
            T.dashboard,
            T.deployment,
            T.podMonitoring,
            // The committed prod stack is tlsMode letsEncrypt.
            T.dnsRecord,
            T.zoneIam,
            T.helmRelease,
            T.clusterIssuer,
            T.certificate,
        ]) {
            assert.match(table, new RegExp(`^${type.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} `, "m"), type);
        }
        assert.match(table, /^gcp:compute\/address:Address .*kept on destroy/m);
        assert.equal((table.match(/^docker:index\/image:Image /gm) ?? []).length, 3, "catbox, the reloader's copy and the prober");
        const manifests = readdirSync(path.join(out, "manifests"));
        assert.ok(
            manifests.some((f) => f.includes("statefulset-catbox")),
            manifests.join(", "),
        );
        assert.ok(
            manifests.some((f) => f.includes("deployment-catbox-prober")) && manifests.some((f) => f.includes("podmonitoring-catbox-prober")),
            manifests.join(", "),
        );
        assert.ok(manifests.includes("helm-release-cert-manager.yaml"), manifests.join(", "));
        // In the order they apply: the namespace first (a kind render does not place sorts before it).
        assert.match([...manifests].sort()[0], /^01-namespace-/);
        // With letsEncrypt the pair lives in a Secret of its own, not among catbox's files.
        assert.deepEqual(readdirSync(path.join(out, "catbox")).sort(), [
            "bans.conf",
            "catbox-0.conf",
            "catbox-1.conf",
            "opers.conf",
            "servers-0.conf",
            "servers-1.conf",
            "users.conf",
        ]);
        const servers = readFileSync(path.join(out, "catbox", "servers-0.conf"), "utf8");
        assert.match(servers, /^irc1\.example\.org = catbox-1\.irc\.svc\.cluster\.local,6667,\*{8},0$/m);
        assert.match(readFileSync(path.join(out, "catbox", "opers.conf"), "utf8"), /^placeholder-oper = \*{8}$/m);
        const secretYaml = manifestText(out, "-secret-catbox-config");
        assert.ok(/catbox-0\.conf: "\*{8}"/.test(secretYaml), secretYaml);
        const tlsYaml = manifestText(out, "-secret-catbox-tls");
        assert.ok(!tlsYaml.includes("PRIVATE KEY") && /tls\.key: "\*{8}"/.test(tlsYaml), tlsYaml);
        const outputs = JSON.parse(readFileSync(path.join(out, "outputs.json"), "utf8"));
        assert.equal(outputs.kubeconfig, "********");
        assert.equal(outputs.ircUrl, "ircs://irc.example.org:7000");
        assert.match(r.stdout, /placeholders for what cannot be used here .*: .*catbox-gke:linkSecret/);
        assert.match(r.stdout, /placeholders for what cannot be used here .*: .*gcp:project/);
    });

    it("--show-secrets shows them", () => {
        const r = render("prod", "--show-secrets");
        assert.equal(r.code, 0, r.stderr);
        const servers = readFileSync(path.join(outRoot, "prod", "catbox", "servers-0.conf"), "utf8");
        assert.match(servers, /,6667,[0-9a-f]{40},0$/m);
        const tlsYaml = manifestText(path.join(outRoot, "prod"), "-secret-catbox-tls");
        assert.match(tlsYaml, /BEGIN PRIVATE KEY/);
    });

    it("the two region examples render, each hub listing the other region's hubs over TLS, with the password the other computes", () => {
        const servers: Record<string, string> = {};
        for (const stack of ["prod-us", "prod-eu"]) {
            const r = render(stack, "--show-secrets");
            assert.equal(r.code, 0, r.stderr);
            servers[stack] = readFileSync(path.join(outRoot, stack, "catbox", "servers-0.conf"), "utf8");
            const out = JSON.parse(readFileSync(path.join(outRoot, stack, "outputs.json"), "utf8"));
            assert.equal(out.linkEndpoints.regionNumber, stack === "prod-us" ? 1 : 2);
        }
        const line = (text: string, name: string) => text.split("\n").find((l) => l.startsWith(`${name} = `));
        const usToEu = line(servers["prod-us"], "irc0.eu.example.org")!;
        const euToUs = line(servers["prod-eu"], "irc0.us.example.org")!;
        assert.match(usToEu, /^irc0\.eu\.example\.org = irc0\.eu\.example\.org,6697,[0-9a-f]{40},1$/);
        assert.match(euToUs, /^irc0\.us\.example\.org = irc0\.us\.example\.org,6697,[0-9a-f]{40},1$/);
        // The two placeholders of one linkSecret: both sides compute one password for the pair.
        assert.equal(usToEu.split(",")[2], euToUs.split(",")[2]);
    });

    it("bad config: exit code 1, the config error, no stack trace, nothing written", () => {
        const stack = `test-bad-${process.pid}`;
        const file = path.join(root, `Pulumi.${stack}.yaml`);
        writeFileSync(file, "config:\n  gcp:project: my-irc-project\n  catbox-gke:replicas: 50\n  catbox-gke:serverNamePattern: irc.example.org\n");
        try {
            const r = render(stack);
            assert.equal(r.code, 1);
            assert.match(r.stderr, /catbox-gke:replicas = "50": must be a whole number from 1 to 20/);
            assert.match(r.stderr, /catbox-gke:serverNamePattern = "irc.example.org": must contain \{n\}/);
            assert.ok(!/\n\s+at /.test(r.stderr), `a stack trace:\n${r.stderr}`);
            assert.ok(!existsSync(path.join(outRoot, stack)));
        } finally {
            rmSync(file, { force: true });
        }
    });

    it("a stack file that is not YAML: exit code 1, a YAML error with its line; an empty value counts as unset", () => {
        const stack = `test-yaml-${process.pid}`;
        const file = path.join(root, `Pulumi.${stack}.yaml`);
        try {
            writeFileSync(file, "config:\n  catbox-gke:platform: kubeconfig\n  catbox-gke:motd: [unclosed\n  catbox-gke:replicas: 2\n");
            const bad = render(stack);
            assert.equal(bad.code, 1);
            assert.match(bad.stderr, new RegExp(`^error: Pulumi\\.${stack}\\.yaml:[34]:\\d+: not valid YAML: `));
            assert.ok(!/\n\s+at /.test(bad.stderr), `a stack trace:\n${bad.stderr}`);
            writeFileSync(file, "config:\n  catbox-gke:platform: kubeconfig\n  catbox-gke:image:\n");
            const empty = render(stack);
            assert.equal(empty.code, 1);
            assert.match(empty.stderr, /catbox-gke:image = \(unset\): is required with platform kubeconfig/);
        } finally {
            rmSync(file, { force: true });
            rmSync(path.join(outRoot, stack), { recursive: true, force: true });
        }
    });

    it("an unknown stack: exit code 1 and says so", () => {
        const r = render("no-such-stack");
        assert.equal(r.code, 1);
        assert.match(r.stderr, /no stack file Pulumi\.no-such-stack\.yaml/);
    });
});
