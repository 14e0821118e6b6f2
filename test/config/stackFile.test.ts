// Stack files as the Pulumi CLI reads them, before the program runs: what it
// refuses (a declared key without a default that a stack lacks, a plain value
// for a key declared secret, a value not of its declared type: v3.248.0's
// sdk/go/common/workspace/config.go), and the text each value reaches the
// program as, held against yaml.v3 itself where Go and its yaml.v3 are here.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { configDefaults, configKeys } from "../../components/config/keys";
import { skipUnlessRequired } from "../../harness/neverSkip";
import { readStackFile } from "../../harness/offline/stack";

const root = path.join(__dirname, "..", "..");
const goYamlSource = "/usr/share/gocode/src/gopkg.in/yaml.v3";
const go = spawnSync("go", ["version"]).status === 0;
const noGoYaml = skipUnlessRequired(
    "the stack-file reading test",
    !go
        ? "no Go toolchain (apt-get install golang-go)"
        : !existsSync(goYamlSource)
          ? "no yaml.v3 (apt-get install golang-gopkg-yaml.v3-dev)"
          : undefined,
);

/** readStackFile of stack `s` with this text, beside this Pulumi.yaml (the project's own by default). */
function read(stackText: string, projectText?: string) {
    const dir = mkdtempSync(path.join(tmpdir(), "catbox-stack-file-"));
    try {
        if (projectText === undefined) copyFileSync(path.join(root, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        else writeFileSync(path.join(dir, "Pulumi.yaml"), projectText);
        writeFileSync(path.join(dir, "Pulumi.s.yaml"), stackText);
        return readStackFile("s", dir);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
const refused = (stackText: string, message: string, projectText?: string) =>
    assert.throws(
        () => read(stackText, projectText),
        (e: Error) => pulumi.RunError.isInstance(e) && e.message === message,
        message,
    );

describe("Pulumi.yaml asks a stack for nothing it need not set", () => {
    const declared = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")).config as Record<string, { default?: unknown }>;

    it("declares exactly the keys that have a default, with that default: the CLI requires every other declared key", () => {
        const defaults = configDefaults();
        const withDefault = configKeys.filter((k) => defaults[k] !== undefined);
        assert.deepEqual(Object.keys(declared).sort(), [...withDefault].sort());
        for (const key of withDefault) assert.deepEqual(declared[key].default, defaults[key], key);
    });

    it("names every key it leaves out in its comment, so that a reader finds them", () => {
        const text = readFileSync(path.join(root, "Pulumi.yaml"), "utf8");
        const head = text.slice(0, text.indexOf("\nconfig:"));
        for (const key of configKeys.filter((k) => !(k in declared))) assert.match(head, new RegExp(`\\b${key}\\b`), key);
    });

    it("every committed stack file reads as the CLI would read it", () => {
        for (const stack of ["prod", "dev", "prod-us", "prod-eu"]) assert.doesNotThrow(() => readStackFile(stack), stack);
    });
});

describe("the CLI's checks, in its words", () => {
    const project = (config: string) => `name: catbox-gke\nruntime: nodejs\nconfig:\n${config}`;

    it("a declared key without a default that the stack lacks: one, then several in the CLI's list", () => {
        const one = project("  motd:\n    type: string\n");
        refused("config: {}\n", "Stack 's' is missing configuration value 'motd'", one);
        assert.equal(read("config:\n  catbox-gke:motd: hi\n", one).config["catbox-gke:motd"], "hi");
        const three = project("  motd:\n    type: string\n  image:\n    type: string\n  hubs:\n    type: integer\n");
        refused("config: {}\n", "Stack 's' is missing configuration values 'hubs', 'image' and 'motd'", three);
        // Another namespace's key is never required, and a default or value satisfies it.
        const others = project("  gcp:project:\n    value: p\n  motd:\n    type: string\n    default: hi\n");
        assert.equal(read("config: {}\n", others).config["catbox-gke:motd"], "hi");
    });

    it("a plain value for a key declared secret", () => {
        const p = project("  opers:\n    type: string\n    secret: true\n    default: x\n");
        refused('config:\n  catbox-gke:opers: \'{"a":"b"}\'\n', "Stack 's' with configuration key 'opers' must be encrypted as it's secret", p);
        assert.deepEqual(read("config:\n  catbox-gke:opers:\n    secure: v1:abc\n", p).secretKeys, ["catbox-gke:opers"]);
    });

    it("a value not of its declared type, as Go reads it: integers by strconv.Atoi, booleans true or false, arrays item by item", () => {
        const typeRefusal = (key: string, type: string) => `Stack 's' with configuration key '${key}' must be of type '${type}'`;
        refused("config:\n  catbox-gke:replicas: two\n", typeRefusal("replicas", "integer"));
        refused("config:\n  catbox-gke:replicas: 2.5\n", typeRefusal("replicas", "integer"));
        refused("config:\n  catbox-gke:replicas:\n", typeRefusal("replicas", "integer"));
        refused("config:\n  catbox-gke:exposePlaintext: yes\n", typeRefusal("exposePlaintext", "boolean"));
        refused("config:\n  catbox-gke:motd: [a, b]\n", typeRefusal("motd", "string"));
        const lists = project("  peers:\n    type: array\n    items:\n      type: string\n    default: []\n");
        refused("config:\n  catbox-gke:peers: [prod-eu, 2]\n", typeRefusal("peers", "array<string>"), lists);
        refused("config:\n  catbox-gke:peers: prod-eu\n", typeRefusal("peers", "array<string>"), lists);
        // What Go reads as the type passes, as the text the program then gets.
        const { config } = read("config:\n  catbox-gke:replicas: 0x10\n  catbox-gke:exposePlaintext: True\n  catbox-gke:motd: 010\n");
        assert.deepEqual([config["catbox-gke:replicas"], config["catbox-gke:exposePlaintext"], config["catbox-gke:motd"]], ["16", "true", "8"]);
    });
});

describe("each value reaches the program as the CLI hands it on (yaml.v3, then the CLI's config map)", () => {
    const values = [
        "0x10",
        "010",
        "09",
        "0o17",
        "0b101",
        "-0b11",
        "1_000",
        "+7",
        "-0",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551616",
        "1e3",
        "1.0",
        ".5",
        "1e21",
        "3.14159",
        "yes",
        "no",
        "on",
        "True",
        "FALSE",
        "~",
        "null",
        "",
        "2026-01-02",
        "2026-1-2",
        "2026-01-02T03:04:05Z",
        "2026-01-02T03:04:05.120Z",
        "2026-01-02 03:04:05",
        "2026-02-30",
        "03:00",
        "12:30:45",
        '"0x10"',
        "'True'",
        "!!str 0x10",
        "!!binary aGVsbG8=",
        "irc{n}.example.org",
        "a <b> & c",
        "[1, 010, yes, ~, 2026-01-02]",
        "{z: 1, a: [x, 0x1f], m: <tag>}",
        '["a\\u2028b", x&y]',
        "[]",
        "{}",
    ];

    it("the same text as yaml.v3 3.0.1 gives for every case", { skip: noGoYaml }, () => {
        const stackText = "config:\n" + values.map((v, i) => `  catbox-gke:k${i}: ${v}\n`).join("");
        const r = spawnSync("go", ["run", "main.go"], {
            cwd: path.join(root, "test", "support", "fixtures", "cliStackValues"),
            input: stackText,
            encoding: "utf8",
            env: {
                ...process.env,
                GO111MODULE: "off",
                GOPATH: "/usr/share/gocode",
                GOFLAGS: "",
                GOCACHE: process.env.GOCACHE ?? path.join(tmpdir(), "catbox-go-cache"),
            },
            timeout: 120_000,
        });
        assert.equal(r.status, 0, r.stderr + r.stdout);
        const fromGo = JSON.parse(r.stdout) as Record<string, string>;
        const ours = read(stackText, "name: catbox-gke\nruntime: nodejs\n").config;
        const mismatches = values
            .map((v, i) => [v, fromGo[`catbox-gke:k${i}`], ours[`catbox-gke:k${i}`]] as const)
            .filter(([, expected, got]) => expected !== got)
            .map(([v, expected, got]) => `${v}: Go ${JSON.stringify(expected)}, ours ${JSON.stringify(got)}`);
        assert.deepEqual(mismatches, []);
    });
});
