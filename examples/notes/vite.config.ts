// Vite builds the app into dist/. Our workspaces are read by their
// TypeScript source (the @smsync/source condition of their exports, as the
// rest of the repository's tools do), so the app needs no build of the SDK
// and sees every edit; an app outside this repository gets the SDK's dist/.
import { defaultClientConditions, defineConfig } from "vite";

export default defineConfig({
  resolve: { conditions: ["@smsync/source", ...defaultClientConditions] },
  build: { target: "es2022", chunkSizeWarningLimit: 1024 },
  preview: { host: "127.0.0.1", strictPort: true },
});
