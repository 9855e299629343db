import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Our workspaces by their TypeScript source, as the other workspaces' tests read them (CONTRIBUTING.md, "Workspaces").
  ssr: { resolve: { conditions: ["@smsync/source", ...defaultServerConditions] } },
  test: {
    include: ["test/**/*.test.ts"],
    // Builds the app once for the run, as `npm run demo` does; the server process from a bundle; tmpfs.
    globalSetup: ["./test/support/globalSetup.ts"],
    // Two browser devices, a server process and Chromium share two cores with the other workspaces' runs under
    // `npm test`: the limit only catches a wait that never ends.
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: "forks",
    maxWorkers: 1,
  },
});
