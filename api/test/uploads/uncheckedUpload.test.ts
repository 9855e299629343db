// An upload that holds all its bytes but was never checked (its last PATCH
// was cut after the last byte, so tus's finish hook did not run, and the
// client, seeing the full offset, sends nothing more) is checked by commit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/testServer.ts";
import { tusUpload } from "../support/uploads.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

async function uncheckedUpload(declaredSha256?: string) {
  const device = await server.newUser();
  const { fencingToken } = await device.lock();
  const { fileUUID } = await tusUpload(server.url, device.token!, { version: 0, content: Buffer.from("all bytes here"), fencingToken });
  // The state a cut last PATCH leaves: every byte stored, the row not checked.
  await server.app.services.db.$transaction((tx) =>
    tx.stagedUpload.updateMany({ where: { fileUUID }, data: { state: "UPLOADING", completedAt: null, ...(declaredSha256 ? { sha256: declaredSha256 } : {}) } }),
  );
  return { device, fencingToken, fileUUID };
}

describe("commit of an upload never checked", () => {
  it("checks the bytes and commits them", async () => {
    const { device, fencingToken, fileUUID } = await uncheckedUpload();
    const op = await device.waitForOperation((await device.commit(fencingToken)).id);
    expect(op.state).toBe("SUCCEEDED");
    expect((await device.fileIndex()).files).toMatchObject([{ fileUUID, version: 0 }]);
  });

  it("discards bytes that do not match, and commit then has nothing to commit", async () => {
    const { device, fencingToken, fileUUID } = await uncheckedUpload("f".repeat(64));
    const code = await device.errorCode(`mutation($t: Int!) { commit(idempotencyKey: "k", fencingToken: $t) { id } }`, { t: fencingToken });
    expect(code).toBe("NOTHING_TO_COMMIT");
    expect(await server.app.services.db.stagedUpload.count({ where: { fileUUID } })).toBe(0);
  });
});
