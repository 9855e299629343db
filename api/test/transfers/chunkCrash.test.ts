// A transfer of more files than a chunk (transferChunks.ts), its server
// process killed with SIGKILL inside its second chunk: for the outbound
// transfer after some of the chunk's cloud writes finished and before the
// chunk's transaction, for the inbound one after some of the chunk's files
// were staged. Started again, the server finishes the transfer with each
// file written once and indexed (or staged) once.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transferChunk } from "../../src/transfers/transferChunks.ts";
import {
  operationFields,
  type OperationResult,
  ProcessServer,
  sha256Hex,
  transferredFiles,
  tusUpload,
  type TestUser,
} from "@smsync/testkit";
import { localProcessCloud, type ProcessCloud } from "../support/processClouds.ts";

const baseEnv = { SMSYNC_TRANSFER_CLAIM_SECONDS: "1" };
const waitMs = 120_000;
const fileCount = 150;
/** Hits of a per-file point to pass: the first chunk holds one file, so this lands in the second. */
const intoSecondChunk = 1 + Math.floor(transferChunk.files / 4);

let server: ProcessServer;
let cloud: ProcessCloud;

beforeAll(async () => {
  cloud = await localProcessCloud();
  server = await ProcessServer.create(cloud.serverOptions);
});
afterAll(async () => {
  await server?.close();
  await cloud?.close();
});

async function killedAt(point: string): Promise<void> {
  const crashed = server.current!;
  expect(await crashed.waitForExit(waitMs), crashed.output()).toEqual({ code: null, signal: "SIGKILL" });
  expect(crashed.output()).toContain(`crash point ${point} reached`);
  await server.start(baseEnv);
}

/** Each file in one FILES_TRANSFERRED event, the operation SUCCEEDED once with every file counted once. */
async function expectDoneOnce(user: TestUser, operationId: string, fileUUIDs: string[]): Promise<void> {
  const op = await user.client.waitForOperation(operationId, waitMs);
  expect(op).toMatchObject({ state: "SUCCEEDED", filesDone: fileUUIDs.length, filesTotal: fileUUIDs.length });
  expect(op.bytesDone).toBe(op.bytesTotal);
  const events = await server.db().event.findMany({ where: { operationId, type: "FILES_TRANSFERRED" } });
  const files = transferredFiles(events);
  expect(files.map((file) => file.fileUUID).sort()).toEqual([...fileUUIDs].sort());
}

describe.sequential(`a transfer of ${fileCount} files killed inside its second chunk`, () => {
  const files = Array.from({ length: fileCount }, (_, index) => ({
    fileUUID: randomUUID(),
    version: 0,
    content: randomBytes(100 + index * 37),
  }));
  const fileUUIDs = files.map((file) => file.fileUUID);
  let user: TestUser;

  it("outbound: each file is written once and indexed once", { timeout: 300_000 }, async () => {
    await server.start(baseEnv);
    user = await server.newUser();
    const { fencingToken } = await user.client.lock();
    for (const file of files) {
      await tusUpload(server.url, user.client.token!, { ...file, fencingToken, cloudFileName: `${file.fileUUID}.bin` });
    }
    await server.stop();
    await server.start({
      ...baseEnv,
      SMSYNC_CRASH_AT: "outbound.chunkFileWritten",
      SMSYNC_CRASH_AFTER: String(intoSecondChunk),
    });
    const key = randomUUID();
    await user.client.commit(fencingToken, key).catch(() => null);
    await killedAt("outbound.chunkFileWritten");
    const leftByCrash = await cloud.objectIdentities(server, user.userId);
    // The crash came after the first chunk's transaction and before the second's.
    const indexedAtCrash = await server.db().fileEntry.count({ where: { userId: user.userId } });
    expect(indexedAtCrash).toBe(1);

    const committed = await user.client.commit(fencingToken, key);
    await expectDoneOnce(user, committed.id, fileUUIDs);
    await cloud.expectObjects(server, user.userId, files);
    // Objects whole at the crash (their content file, renamed into place last, was there) were not written again.
    const after = await cloud.objectIdentities(server, user.userId);
    const whole = [...leftByCrash].filter(([name]) => !name.endsWith(".json"));
    expect(whole.length).toBeGreaterThan(intoSecondChunk);
    for (const [name, identity] of whole) expect(after.get(name), name).toBe(identity);
    const index = await user.client.fileIndex();
    expect(index.files).toHaveLength(fileCount);
    const byUUID = new Map(index.files.map((entry) => [entry.fileUUID, entry]));
    for (const file of files) {
      expect(byUUID.get(file.fileUUID)).toMatchObject({ version: 0, sha256: sha256Hex(file.content) });
    }
  });

  it("inbound: each file is staged once and recorded once", { timeout: 300_000 }, async () => {
    const laptop = await server.newDevice(user.userName);
    await server.stop();
    await server.start({
      ...baseEnv,
      SMSYNC_CRASH_AT: "inbound.afterStaging",
      SMSYNC_CRASH_AFTER: String(intoSecondChunk),
    });
    const { fencingToken } = await laptop.client.lock();
    const requested = files.map(({ fileUUID, version }) => ({ fileUUID, version }));
    const start = async (key: string) =>
      (
        await laptop.client.ok<{ startInboundTransfer: OperationResult }>(
          `mutation($key: String!, $token: Int!, $files: [FileVersionInput!]!) { startInboundTransfer(idempotencyKey: $key, fencingToken: $token, files: $files) { ${operationFields} } }`,
          { key, token: fencingToken, files: requested },
        )
      ).startInboundTransfer;
    const key = randomUUID();
    await start(key).catch(() => null);
    await killedAt("inbound.afterStaging");
    expect(await server.db().inboundStagedFile.count({ where: { userId: user.userId } })).toBe(1);

    const started = await start(key);
    await expectDoneOnce(laptop, started.id, fileUUIDs);
    const staged = await server.db().inboundStagedFile.findMany({ where: { userId: user.userId } });
    expect(staged.map((row) => row.fileUUID).sort()).toEqual([...fileUUIDs].sort());
  });
});
