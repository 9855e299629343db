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
    // Bundles the processes the tests start, and puts the temporary files on tmpfs (@smsync/testkit/testRunSetup).
    globalSetup: ["./test/support/globalSetup.ts"],
    testTimeout: 900_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 1,
  },
});
