// The server the runs share: a real smsync server in this process
// (startTestServer: SQLite, or PostgreSQL when SMSYNC_TEST_DATABASE is
// "postgresql"), its cloud the local directory or the Google Drive backend
// over the fake Drive, behind a FaultyCloudStorage per user, so the schedule
// can arm cloud faults for its users. Each run makes fresh users on it.
import type { CloudObject } from "../../api/src/cloud/CloudStorage.ts";
import { googleDriveTestBackend, localTestBackend, type StartedCloud } from "../../api/test/support/testCloudBackends.ts";
import { startTestServer, type TestServer } from "../../api/test/support/testServer.ts";
import { PerUserFaultyCloud } from "./perUserFaultyCloud.ts";

/** The server's lock lease: short, so that a device paused past it loses the lock within a run (and renews every 1.5 s meanwhile). */
export const simLockTtlSeconds = 3;

export interface SimServer {
  server: TestServer;
  cloud: PerUserFaultyCloud;
  port: number;
  userId(userName: string): Promise<string>;
  listCloud(userName: string): Promise<CloudObject[]>;
  readCloud(userName: string, objectId: string): Promise<Buffer>;
  close(): Promise<void>;
}

export async function startSimServer(cloudName: "local" | "google-drive"): Promise<SimServer> {
  const started: StartedCloud = await (cloudName === "google-drive" ? googleDriveTestBackend : localTestBackend).start();
  const cloud = new PerUserFaultyCloud(started.storage);
  // A worker that polls often and short lock leases: runs spend their time syncing, not waiting.
  const server = await startTestServer({ SMSYNC_TRANSFER_POLL_MS: "20", SMSYNC_LOCK_TTL_SECONDS: String(simLockTtlSeconds) }, { cloud });
  const userId = async (userName: string) => (await server.app.services.db.user.findUniqueOrThrow({ where: { name: userName } })).id;
  return {
    server,
    cloud,
    port: Number(new URL(server.url).port),
    userId,
    // Through the inner storage: the checks must not meet the faults.
    listCloud: async (userName) => cloud.inner.listObjects(await userId(userName)),
    async readCloud(userName, objectId) {
      const chunks: Buffer[] = [];
      for await (const chunk of await cloud.inner.readObject(await userId(userName), objectId)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    async close() {
      await server.close();
      await started.close();
    },
  };
}
