import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Our workspaces (@smsync/protocol, @smsync/client) by their TypeScript source, as tsc and tsx read them, not by
  // their built dist/: the tests need no build and see every edit (CONTRIBUTING.md, "Workspaces").
  ssr: { resolve: { conditions: ["@smsync/source", ...defaultServerConditions] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
