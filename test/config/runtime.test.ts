// Can the Pulumi Node.js runtime load this program with the TypeScript we pin?
// `pulumi up` runs @pulumi/pulumi's cmd/run: it picks the project's typescript
// (else its vendored 3.8) and ts-node (else its vendored 7.0.1), reads
// tsconfig.json, and registers ts-node with those options before requiring
// index.ts. This does the same in a fresh process, then runs the program.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

const root = path.join(__dirname, "..", "..");

// Mirrors @pulumi/pulumi/cmd/run/run.js (the non-ESM branch) for this SDK version.
const loader = `
const tsutils = require("@pulumi/pulumi/tsutils");
const semver = require("semver");
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
const compilerOptions = tsutils.loadTypeScriptCompilerOptions("tsconfig.json");
const ts = require(typescriptRequire);
const useNodeNext = semver.parse(ts.version).compare(new semver.SemVer("4.7.0")) >= 0;
require(tsnodeRequire).register({
    compiler: typescriptRequire,
    transpileOnly: compilerOptions.noCheck,
    project: "tsconfig.json",
    skipProject: false,
    compilerOptions: {
        target: "ES2020",
        module: useNodeNext ? "nodenext" : "commonjs",
        moduleResolution: useNodeNext ? "nodenext" : "node",
        sourceMap: "true",
        ...compilerOptions,
    },
});
const program = require("./index.ts");
if (typeof program !== "function") throw new Error("index.ts must export the program as a function");
const { runOffline } = require("./harness/offline/engine.ts");
runOffline({ config: { "catbox-gke:platform": "kubeconfig", "catbox-gke:image": "catbox:v1.13.0" } }).then((r) => {
    console.log(JSON.stringify({ typescript: ts.version, typescriptPath: require.resolve(typescriptRequire), resources: r.resources.length }));
});
`;

describe("the Pulumi Node.js runtime", () => {
    it("loads index.ts with the project's TypeScript (type-checked by ts-node) and runs it", () => {
        const r = spawnSync(process.execPath, ["-e", loader], { cwd: root, encoding: "utf8", timeout: 180_000 });
        assert.equal(r.status, 0, r.stderr);
        const result = JSON.parse(r.stdout.trim().split("\n").pop()!);
        const pinned = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).devDependencies.typescript;
        assert.equal(result.typescript, pinned, "the runtime picked another TypeScript");
        assert.ok(result.typescriptPath.startsWith(path.join(root, "node_modules", "typescript")), result.typescriptPath);
        assert.ok(result.resources > 5);
    });

    it("tells the program which config keys the CLI passed as secrets, as the language host passes them", () => {
        // The language host hands the program its config and the secret keys' names in these two variables.
        const env = {
            ...process.env,
            PULUMI_CONFIG: JSON.stringify({ "catbox-gke:motd": "hi", "catbox-gke:hostname": "irc.example.org", "catbox-gke:replicas": "2" }),
            PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(["catbox-gke:motd", "catbox-gke:hostname"]),
        };
        const script = `
const pulumi = require("@pulumi/pulumi");
const { runtimeSecretKeys } = require("./components/config/runtime");
console.log(JSON.stringify([...runtimeSecretKeys(pulumi.runtime.allConfig())].sort()));`;
        const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: root, env, encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout.trim().split("\n").pop()!), ["hostname", "motd"]);
    });
});
