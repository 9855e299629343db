// Vite builds the app into dist/. Our workspaces are read by their
// TypeScript source (the @smsync/source condition of their exports, as the
// rest of the repository's tools do), so the app needs no build of the SDK
// and sees every edit; an app outside this repository gets the SDK's dist/.
import { defineConfig } from "vite";

export default defineConfig({
  // Vite's client conditions, with "production" named: the tests build under NODE_ENV=test, which would pick the
  // packages' development builds (lit-html's dev mode) instead.
  resolve: { conditions: ["@smsync/source", "module", "browser", "production"] },
  build: {
    target: "es2022",
    chunkSizeWarningLimit: 1024,
    // The SDK imports its Node-only modules (node:fs, ws) dynamically where it can; in a browser build they are all one
    // empty stand-in, also imported statically, so there is nothing to split: the warning says nothing to act on.
    rolldownOptions: { checks: { ineffectiveDynamicImport: false } },
  },
  preview: { host: "127.0.0.1", strictPort: true },
});
