// typescript-eslint's type-checked recommended rules over every workspace,
// plus one rule of our own: workspaces depend on each other by package name,
// through their public entries (package.json "exports"), never by a relative
// path into another workspace's folder (CONTRIBUTING.md, "Workspaces"); and no
// shipped source imports the test kit. Formatting is Prettier's
// (.prettierrc.json); eslint-config-prettier turns off the rules it covers.
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

const workspaces = ["protocol", "api", "testkit", "client", "sim"];

const acrossWorkspaces = {
  regex: `^(\\.\\./)+(${workspaces.join("|")}|prisma)/`,
  message:
    "Import another workspace by its package name (@smsync/...), through its public entry, not by a relative path.",
};

const testkit = {
  group: ["@smsync/testkit", "@smsync/testkit/*"],
  message: "Only tests, benches and the simulator use @smsync/testkit; shipped source does not.",
};

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/generated/**", "**/dist/**", "sim-failures/**"] },
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  {
    files: ["**/*.ts", "**/*.js", "**/*.mjs"],
    languageOptions: { ecmaVersion: "latest", sourceType: "module" },
    rules: { "no-restricted-imports": ["error", { patterns: [acrossWorkspaces] }] },
  },
  {
    files: ["protocol/src/**", "api/src/**", "client/src/**", "client/bin/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [acrossWorkspaces, testkit] }] },
  },
  prettier,
);
