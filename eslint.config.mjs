// Lint: typescript-eslint's recommended rules everywhere; Pulumi's own rules (an Output inside a
// template literal renders as "Calling [toString] on an [Output<T>]...") with type information
// where Outputs are built: the program, its components and settings. Tests, tools and the policy
// pack handle plain values, so they skip the (slow) type-aware pass.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

/** Where the type-aware rules run (tools/static.ts hands these files its own TypeScript program). */
export const typeAwareFiles = ["index.ts", "components/**/*.ts", "settings/**/*.ts"];

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "bin/",
      ".plan/",
      "coverage/",
      "policies/node_modules/",
      "**/*.js",
      "**/*.mjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/no-non-null-assertion": "error",
    },
  },
  {
    files: typeAwareFiles,
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
    },
  },
  {
    // Tests read the wire format of arbitrary resources; `any` and `!` keep them legible there.
    files: ["tests/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-non-null-assertion": "off" },
  },
);
