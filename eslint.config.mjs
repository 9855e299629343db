// One rule for now: workspaces depend on each other by package name, through
// their public entries (package.json "exports"), never by a relative path
// into another workspace's folder (CONTRIBUTING.md, "Workspaces"); and no
// shipped source imports the test kit.
import tsParser from "@typescript-eslint/parser";

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

export default [
  { ignores: ["**/node_modules/**", "**/generated/**", "**/dist/**"] },
  {
    files: ["**/*.ts", "**/*.js", "**/*.mjs"],
    languageOptions: { parser: tsParser, ecmaVersion: "latest", sourceType: "module" },
    rules: { "no-restricted-imports": ["error", { patterns: [acrossWorkspaces] }] },
  },
  {
    files: ["protocol/src/**", "api/src/**", "client/src/**", "client/bin/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [acrossWorkspaces, testkit] }] },
  },
];
