// Committed bytes that vanished from staging fail the transfer at once with
// STAGED_UPLOAD_MISSING, instead of being retried until the attempts run out.
import { rm } from "node:fs/promises";
import { afterAll, assert, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, tusUpload } from "@smsync/testkit";

const servers: TestServer[] = [];
afterAll(async () => {
  for (const server of servers.reverse()) await server.close();
});

describe("staged bytes missing", () => {
  it("fails the outbound transfer on the first attempt, keeping the lock", async () => {
    const apiOnly = await startTestServer({ SMSYNC_TRANSFER_WORKER: "false" });
    servers.push(apiOnly);
    const device = await apiOnly.newUser();
    const { fencingToken } = await device.lock();
    await tusUpload(apiOnly.url, device.token!, { version: 0, content: Buffer.from("soon gone"), fencingToken });
    const committed = await device.commit(fencingToken);
    const [upload] = await apiOnly.app.services.db.stagedUpload.findMany({ where: { operationId: committed.id } });
    assert.exists(upload);
    await rm(apiOnly.app.services.staging.uploadPath(upload.id));

    const worker = await startTestServer({
      DATABASE_URL: apiOnly.config.databaseUrl,
      SMSYNC_STAGING_DIR: apiOnly.config.stagingDir,
      SMSYNC_LOCAL_CLOUD_DIR: apiOnly.config.localCloudDir,
    });
    servers.push(worker);
    const failed = await device.waitForOperation(committed.id);
    expect(failed).toMatchObject({ state: "FAILED", attempts: 1, errorCode: "STAGED_UPLOAD_MISSING" });
    expect((await device.lock()).heldPreviously).toBe(true);
  });
});
