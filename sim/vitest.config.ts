import { createRequire } from "node:module";
import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  // Our workspaces (@smsync/protocol, @smsync/client) by their TypeScript source, as tsc and tsx read them, not by
  // their built dist/: the tests need no build and see every edit (CONTRIBUTING.md, "Workspaces").
  ssr: { resolve: { conditions: ["@smsync/source", ...defaultServerConditions] } },
  resolve: {
    // One graphql instance for our code and the server's (see api/vitest.config.ts).
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // Bundles the processes the tests start, and puts the temporary files on tmpfs (@smsync/testkit/testRunSetup).
    globalSetup: ["./test/support/globalSetup.ts"],
    testTimeout: 900_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The local cloud's 160 seeds (simulation.local.test.ts) on one worker, the other files on the other;
    // each simulation runs 4 runs at once, each slot on its own server process.
    maxWorkers: 2,
  },
});
