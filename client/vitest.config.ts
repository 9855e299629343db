import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One graphql instance for our code and the server's (see api/vitest.config.ts).
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // The processes the tests start, bundled once for the run (@smsync/testkit/processBundles).
    globalSetup: ["./test/support/processBundles.globalSetup.ts"],
    // Keeps the unit tier (*.unit.test.ts) pure: no network, no processes.
    setupFiles: [require.resolve("@smsync/testkit/unitTierGuard")],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
