// ESLint for the program, its tools and its tests: typescript-eslint's
// recommended rules, plus the type-aware ones that matter in Pulumi code (a
// promise nobody awaits is a resource nobody waits for). Formatting is
// Prettier's (.prettierrc.json); `npm test` runs both checks.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "out/"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        linterOptions: { reportUnusedDisableDirectives: "error" },
        rules: {
            "@typescript-eslint/no-floating-promises": [
                "error",
                // node:test's describe and it return promises that the runner itself awaits.
                { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "before", "after", "test"] }] },
            ],
            "@typescript-eslint/no-misused-promises": "error",
            "@typescript-eslint/await-thenable": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
            // Mocks and parsed manifests are untyped JSON by nature.
            "@typescript-eslint/no-explicit-any": "off",
            curly: ["error", "multi-line"],
            eqeqeq: ["error", "always"],
            "no-console": "off",
        },
    },
    {
        files: ["test/support/fixtures/*.js"],
        languageOptions: {
            sourceType: "commonjs",
            globals: { require: "readonly", process: "readonly", console: "readonly", setInterval: "readonly" },
        },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
