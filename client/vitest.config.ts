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
    // Keeps the unit tier (*.unit.test.ts) pure: no network, no processes; and compares bytes as bytes.
    setupFiles: [require.resolve("@smsync/testkit/unitTierGuard"), require.resolve("@smsync/testkit/byteEquality")],
    // npm test runs this beside the other workspaces' runs and type-checks on two cores (docs/testing.md): a case
    // that takes 10 s alone took over 60 s there on a machine busy with other work. The limit only catches a wait
    // that never ends.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
    // Files run one after another in a worker keep its loaded modules (the server, the client, the test kit):
    // importing them again for each file cost about 1.5 s of CPU a file.
    isolate: false,
    maxWorkers: 2,
  },
});
