// The baseline: a plain node:http server on 127.0.0.1 that streams each
// request body to a new file in a directory (on the same disk as the smsync
// server's staging area), and the matching single-request upload.
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { contentStream } from "./content.ts";
import { HttpError, httpRequest } from "./http.ts";

export interface BaselineServer {
  url: string;
  /** Uploads `size` bytes of generated content in one PUT; resolves on the server's answer (after the file is closed) with the file's name. */
  upload(size: number, onProgress?: (bytes: number) => void): Promise<string>;
  /** Removes an uploaded file. */
  discard(file: string): Promise<void>;
  close(): Promise<void>;
}

export async function startBaselineServer(dir: string): Promise<BaselineServer> {
  let counter = 0;
  const server: Server = createServer((req, res) => {
    const file = path.join(dir, `upload-${++counter}`);
    pipeline(req, createWriteStream(file)).then(
      () => res.writeHead(204, { "x-file": path.basename(file) }).end(),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async upload(size, onProgress) {
      const result = await httpRequest(
        `${url}/upload`,
        { method: "PUT", headers: { "content-type": "application/octet-stream", "content-length": String(size) } },
        contentStream(size, 0, size, onProgress),
      );
      if (result.status !== 204) throw new HttpError("baseline upload", result);
      return String(result.headers["x-file"]);
    },
    async discard(file) {
      await rm(path.join(dir, path.basename(file)), { force: true });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
