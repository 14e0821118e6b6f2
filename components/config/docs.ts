// The config's words, written out from keys.ts: Pulumi.yaml's `config:` block,
// the README's config table and docs/updating.md's roll-out table, each between markers in its file
// (`npm run docs` rewrites them; a test fails when a file differs). Pure: no
// Pulumi import.
import { stringify } from "yaml";
import { ConfigKey, configKeys, defaultOf, entryOf, Rollout, rollouts } from "./keys";

/** A generated part of a file: the text between its two marker lines. */
export interface Generated {
    begin: string;
    end: string;
    text: string;
}

/** A default as the README's table shows it: a long one cut, its start enough to recognise it. */
function defaultCell(key: ConfigKey): string {
    const value = defaultOf(key);
    if (value === undefined) return entryOf(key).unsetText ?? "none";
    const text = String(value);
    return `\`${text.length > 40 ? `${text.slice(0, 30)}…` : text}\``;
}

/** The README's config table: every key, its default, what it means. */
export function configTable(): Generated {
    const rows = configKeys.map((key) => `| \`${key}\` | ${defaultCell(key)} | ${entryOf(key).description} |`);
    return {
        begin: "<!-- BEGIN generated from components/config/keys.ts by npm run docs: the config table -->",
        end: "<!-- END generated: the config table -->",
        text: ["| key | default | meaning |", "|---|---|---|", ...rows].join("\n"),
    };
}

/** The README's roll-out table: each kind of change, the keys of that kind, what happens, what a user sees. */
export function rolloutTable(): Generated {
    const rows = (Object.keys(rollouts) as Rollout[]).map((kind) => {
        const keys = configKeys.filter((k) => entryOf(k).rollout === kind).map((k) => `\`${k}\``);
        return `| ${keys.join(", ")} | ${rollouts[kind].happens} | ${rollouts[kind].sees} |`;
    });
    return {
        begin: "<!-- BEGIN generated from components/config/keys.ts by npm run docs: the roll-out table -->",
        end: "<!-- END generated: the roll-out table -->",
        text: ["| change | what happens | what a connected user sees |", "|---|---|---|", ...rows].join("\n"),
    };
}

/** Pulumi.yaml's type for a default's value (the keys with defaults are strings, whole numbers and booleans). */
function pulumiType(value: unknown): "string" | "integer" | "boolean" {
    if (typeof value === "number") return "integer";
    if (typeof value === "boolean") return "boolean";
    return "string";
}

/** Markdown as plain text: a link's words, code without its backticks. */
const plain = (markdown: string) => markdown.replace(/\[([^\]]+)\]\([^)]+\)/g, "$1").replace(/`/g, "");

/**
 * Pulumi.yaml's `config:` block: only the keys with a default, typed (the CLI
 * requires a declared key that has none in every stack), and a comment naming
 * the others.
 */
export function pulumiYamlConfig(): Generated {
    const withDefault = configKeys.filter((k) => defaultOf(k) !== undefined);
    const optional = configKeys.filter((k) => defaultOf(k) === undefined);
    const config = Object.fromEntries(
        withDefault.map((k) => [k, { type: pulumiType(defaultOf(k)), default: defaultOf(k), description: plain(entryOf(k).description) }]),
    );
    const comment =
        "The keys that have a default, typed, so that the Pulumi CLI checks their types and passes the default " +
        "to the program. A key declared here without a default would be required in every stack (the CLI stops " +
        `before the program runs), so the optional keys are not declared: ${optional.join(", ")}.`;
    return {
        begin: "# BEGIN generated from components/config/keys.ts by npm run docs: the config block",
        end: "# END generated: the config block",
        text: `${wrapComment(comment)}\n${stringify({ config }, { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN", lineWidth: 0 }).trimEnd()}`,
    };
}

/** Text as a `#` comment, its lines wrapped at 100 characters. */
function wrapComment(text: string): string {
    const words = text.split(" ");
    const lines: string[] = [];
    let line = "#";
    for (const word of words) {
        if (`${line} ${word}`.length > 100) {
            lines.push(line);
            line = "#";
        }
        line += ` ${word}`;
    }
    return [...lines, line].join("\n");
}

/** `file` with its generated part replaced; the markers must be there, once each. */
export function withGenerated(file: string, part: Generated): string {
    const start = file.indexOf(part.begin);
    const end = file.indexOf(part.end);
    if (start < 0 || end < start || file.indexOf(part.begin, start + 1) >= 0) {
        throw new Error(`the markers "${part.begin}" and "${part.end}" must each appear once, in that order`);
    }
    return `${file.slice(0, start + part.begin.length)}\n${part.text}\n${file.slice(end)}`;
}

/** Every generated part, by the file (relative to the project's root) it lives in. */
export const generatedParts: Record<string, () => Generated[]> = {
    "Pulumi.yaml": () => [pulumiYamlConfig()],
    "README.md": () => [configTable()],
    "docs/updating.md": () => [rolloutTable()],
};
