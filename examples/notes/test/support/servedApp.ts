// The built app (dist/) served by Vite's preview server on 127.0.0.1, on an
// origin of its own: the app calls the smsync server across origins, through
// CORS, as in `npm run demo`.
import path from "node:path";
import { preview, type PreviewServer } from "vite";
import { freePort } from "@smsync/testkit";

export interface ServedApp {
  url: string;
  close(): Promise<void>;
}

export async function serveApp(): Promise<ServedApp> {
  const port = await freePort();
  const server: PreviewServer = await preview({
    root: path.resolve(import.meta.dirname, "../.."),
    logLevel: "warn",
    preview: { port },
  });
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}
