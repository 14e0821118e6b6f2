// Stack durations reach catbox as text, and catbox reads them with Go's
// time.ParseDuration: the config check must read them exactly as Go does. Go
// itself is the judge here: a small program reads every case with the real
// ParseDuration (Go is on CI's machine: it builds catbox), and our reading must
// give the same nanoseconds, or the same refusal.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parseGoDuration } from "../../components/config/values";
import { skipUnlessRequired } from "../../harness/neverSkip";

const go = spawnSync("go", ["version"], { encoding: "utf8" }).status === 0;
const noGo = skipUnlessRequired(
    "the duration tests",
    go ? undefined : "no Go toolchain here (apt-get install golang-go): Go's own ParseDuration is the reference",
);

const cases = [
    "15s",
    "45s",
    "1s",
    "24h",
    "1h30m",
    "2m",
    "+15s",
    "-1s",
    "1.s",
    ".5m",
    "1.5h",
    "0",
    "+0",
    "-0",
    "0s",
    "",
    "1000000\u00b5s",
    "1000000\u03bcs",
    "1000000us",
    "1000ms",
    "1000000000ns",
    "0.9999999999999999999s",
    "0.999999999s",
    "1.0000000001s",
    "999999999.9ns",
    "2562047h",
    "2562048h",
    "9223372036854775807ns",
    "9223372036854775808ns",
    "1e3s",
    "1 s",
    " 1s",
    "1s ",
    "1S",
    "1sec",
    "s",
    ".s",
    "1..5s",
    "1.5.5s",
    "1h-30m",
    "30",
    "1h30",
    "0.5ns",
    "3m0.5s",
    "00000000000000000000001s",
    "1.00000000000000000000000000000000001h",
];

function goReadings(inputs: string[]): string[] {
    const dir = mkdtempSync(path.join(tmpdir(), "catbox-go-duration-"));
    try {
        writeFileSync(
            path.join(dir, "main.go"),
            [
                "package main",
                'import ("bufio"; "fmt"; "os"; "time")',
                "func main() {",
                "\tin := bufio.NewScanner(os.Stdin)",
                '\tfor in.Scan() { d, err := time.ParseDuration(in.Text()); if err != nil { fmt.Println("error") } else { fmt.Println(int64(d)) } }',
                "}",
                "",
            ].join("\n"),
        );
        const r = spawnSync("go", ["run", "main.go"], {
            cwd: dir,
            input: inputs.join("\n") + "\n",
            encoding: "utf8",
            env: { ...process.env, GO111MODULE: "off", GOFLAGS: "", GOCACHE: process.env.GOCACHE ?? path.join(tmpdir(), "catbox-go-cache") },
            timeout: 120_000,
        });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.trimEnd().split("\n");
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

describe("durations read as Go reads them", () => {
    it("every case: the same nanoseconds as Go's time.ParseDuration, or the same refusal", { skip: noGo }, () => {
        const fromGo = goReadings(cases);
        assert.equal(fromGo.length, cases.length);
        const mismatches = cases
            .map((c, i) => [c, fromGo[i], parseGoDuration(c)?.toString() ?? "error"] as const)
            .filter(([, expected, ours]) => expected !== ours)
            .map(([c, expected, ours]) => `${JSON.stringify(c)}: Go ${expected}, ours ${ours}`);
        assert.deepEqual(mismatches, []);
    });
});
