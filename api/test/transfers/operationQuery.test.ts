// The `operation` query reads the operation and its items in one raw
// statement (readOperationView): its answer must be what Prisma reads
// (loadOperationView, used inside transactions), field by field, on SQLite
// and on PostgreSQL, and nothing for another user.
import { describe, expect, it } from "vitest";
import { batchEntry, callerOf, uploadBatchOf, useTestServer } from "@smsync/testkit";
import { loadOperationView } from "../../src/transfers/operationView.ts";

const server = useTestServer();

describe("the operation query", () => {
  it("answers the operation and its files as stored, and null to another user", async () => {
    const device = await server.newUser();
    const { userId } = await callerOf(server, device.token!);
    const { fencingToken } = await device.lock();
    const entries = [Buffer.from("a".repeat(5000)), Buffer.from("bb"), Buffer.alloc(0)].map((content) =>
      batchEntry(content),
    );
    const uploaded = await uploadBatchOf(server.url, device.token!, fencingToken, entries);
    expect(uploaded.status).toBe(200);
    const { id } = await device.commit(fencingToken);
    const ended = await device.waitForOperation(id);
    expect(ended.state).toBe("SUCCEEDED");

    const stored = (await loadOperationView(server.app.services.db, userId, id))!;
    const answered = await device.operation(id);
    expect(answered).toMatchObject({
      id: stored.id,
      kind: stored.kind,
      state: stored.state,
      attempts: stored.attempts,
      failedPhase: stored.failedPhase,
      errorCode: stored.errorCode,
      errorMessage: stored.errorMessage,
      filesTotal: 3,
      filesDone: 3,
      bytesTotal: 5002,
      bytesDone: 5002,
      files: stored.files,
    });
    expect(stored.files.map((file) => file.fileUUID)).toEqual(entries.map((entry) => entry.file.fileUUID).sort());
    // The dates too (not in the test client's selection).
    const dates = await device.ok<{ operation: { createdAt: string; updatedAt: string; finishedAt: string } }>(
      `query($id: ID!) { operation(id: $id) { createdAt updatedAt finishedAt } }`,
      { id },
    );
    expect(dates.operation).toEqual({
      createdAt: stored.createdAt,
      updatedAt: stored.updatedAt,
      finishedAt: stored.finishedAt,
    });

    const stranger = await server.newUser();
    expect(await stranger.operation(id)).toBeNull();
  });
});
