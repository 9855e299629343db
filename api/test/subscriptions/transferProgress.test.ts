// transferProgress over graphql-ws and over SSE: the events of an outbound
// transfer from the durable log, live and replayed, ending with SUCCEEDED;
// and a client that drops the connection and resumes with `after` gets
// every event of the log exactly once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudStorageError } from "../../src/cloud/CloudStorageError.ts";
import { transactWithEvents } from "../../src/events/eventLog.ts";
import { chunkFileLimit, transferChunk } from "../../src/transfers/transferChunks.ts";
import { startTestServer, type TestServer } from "@smsync/testkit";
import {
  GatedCloud,
  commitNewFiles,
  countFollowers,
  loggedTransferEvents,
  subscribeTransferProgress,
  subscribeWs,
  transferProgressQuery,
  transports,
  wsConnection,
  type TransferEvent,
} from "@smsync/testkit";

let server: TestServer;
let cloud: GatedCloud;
let followers: ReturnType<typeof countFollowers>;

beforeAll(async () => {
  cloud = new GatedCloud();
  // A poll that never comes: every delivery below is woken by the commit that logged it.
  server = await startTestServer({ SMSYNC_EVENT_POLL_MS: "600000" }, { cloud });
  followers = countFollowers(server);
});
afterAll(async () => {
  // Transfers held at the gate must end for the worker to stop.
  cloud?.release(Number.POSITIVE_INFINITY);
  await server?.close();
  cloud?.dispose();
});

const summary = (events: TransferEvent[]) =>
  events.map((event) => (event.type === "OPERATION_STATE" ? event.state : `${event.type}:${event.filesDone}`));

/** The filesDone after each chunk of a transfer of `files` small files (transferChunks: one file, then more). */
function chunkEnds(files: number): number[] {
  const ends: number[] = [];
  for (let done = 0; done < files;) {
    done += Math.min(chunkFileLimit(ends.length), files - done);
    ends.push(done);
  }
  return ends;
}

/** The summary of a whole transfer of `files` files that succeeded: one FILES_TRANSFERRED a chunk. */
const succeeded = (files: number) => [
  "NOT_STARTED",
  "IN_PROGRESS",
  ...chunkEnds(files).map((done) => `FILES_TRANSFERRED:${done}`),
  "SUCCEEDED",
];

/** The files of the FILES_TRANSFERRED events, in order. */
const filesOf = (events: TransferEvent[]) =>
  events.flatMap((event) => (event.type === "FILES_TRANSFERRED" ? (event.files ?? []) : []));

/** Checks a full event list of an operation against the log in the database: each logged event once, in order. */
async function expectExactlyTheLog(operationId: string, events: TransferEvent[]) {
  const logged = await loggedTransferEvents(server, operationId);
  expect(events.map((event) => event.seq)).toEqual(logged.map((row) => row.seq));
  expect(events.map((event) => event.type)).toEqual(logged.map((row) => row.type));
  for (const event of events) expect(event.operationId).toBe(operationId);
}

function expectStrictlyIncreasing(seqs: number[]) {
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
}

describe.each(transports)("transferProgress over %s", (transport) => {
  it(
    "streams the states and one FILES_TRANSFERRED per chunk of files of a running transfer, ending with SUCCEEDED",
    { timeout: 180_000 },
    async () => {
      const device = await server.newUser();
      const { operation, files } = await commitNewFiles(server, device, 3);
      const subscription = subscribeTransferProgress(transport, server.url, device.token, operation.id);

      // The transfer is held before its first cloud write: what follows arrives live.
      const start = await subscription.take(2);
      expect(summary(start)).toEqual(["NOT_STARTED", "IN_PROGRESS"]);
      await cloud.untilWaiting(1);
      expect(subscription.events).toHaveLength(2);
      cloud.release(files.length);

      const events = await subscription.completion();
      expect(summary(events)).toEqual(succeeded(3));
      expectStrictlyIncreasing(events.map((event) => event.seq));
      const transferred = filesOf(events);
      expect(transferred.map((file) => file.fileUUID).sort()).toEqual(files.map((file) => file.fileUUID).sort());
      for (const file of transferred) {
        const sent = files.find((candidate) => candidate.fileUUID === file.fileUUID)!;
        expect(file).toEqual({ fileUUID: sent.fileUUID, version: 0, bytes: sent.content.length });
      }
      const totalBytes = files.reduce((sum, file) => sum + file.content.length, 0);
      expect(events.filter((event) => event.type === "FILES_TRANSFERRED").at(-1)).toMatchObject({
        filesDone: 3,
        filesTotal: 3,
        bytesDone: totalBytes,
        bytesTotal: totalBytes,
      });
      await expectExactlyTheLog(operation.id, events);
      // The server stopped following the log for this stream.
      const caller = (await server.app.services.db.operation.findUniqueOrThrow({ where: { id: operation.id } })).userId;
      await followers.until((count) => count === 0, caller);
    },
  );

  it("replays a finished transfer from the log and completes", { timeout: 180_000 }, async () => {
    const device = await server.newUser();
    const { operation } = await commitNewFiles(server, device, 2);
    cloud.release(2);
    expect((await device.waitForOperation(operation.id, 120_000)).state).toBe("SUCCEEDED");

    const events = await subscribeTransferProgress(transport, server.url, device.token, operation.id).completion();
    expect(summary(events)).toEqual(succeeded(2));
    await expectExactlyTheLog(operation.id, events);

    // A client that saw the end but not the completion: nothing more, and the stream ends.
    const last = events.at(-1)!.seq;
    const again = await subscribeTransferProgress(transport, server.url, device.token, operation.id, last).completion();
    expect(again).toEqual([]);

    // Resuming in the middle of a finished transfer: exactly the rest.
    const rest = await subscribeTransferProgress(
      transport,
      server.url,
      device.token,
      operation.id,
      events[2]!.seq, // the five events above
    ).completion();
    expect(rest.map((event) => event.seq)).toEqual(events.slice(3).map((event) => event.seq));
  });

  it(
    "resumes with after = the last seen seq mid-transfer: every event exactly once",
    { timeout: 180_000 },
    async () => {
      // A transfer records its files a chunk at a time (the first chunk of one file): one file, then a whole
      // chunk while the device is away, then a last file live.
      const chunk = transferChunk.files;
      const device = await server.newUser();
      const { operation, files } = await commitNewFiles(server, device, chunk + 2);
      const userId = (await server.app.services.db.operation.findUniqueOrThrow({ where: { id: operation.id } })).userId;

      // First connection: up to the first file, then the connection is dropped.
      const first = subscribeTransferProgress(transport, server.url, device.token, operation.id);
      await first.take(2);
      await cloud.untilWaiting(1);
      cloud.release(1);
      await first.until((s) => s.events.some((event) => event.type === "FILES_TRANSFERRED"), "the first file");
      first.close();
      const seen = [...first.events];
      expect(summary(seen)).toEqual(["NOT_STARTED", "IN_PROGRESS", "FILES_TRANSFERRED:1"]);
      await followers.until((count) => count === 0, userId);

      // While disconnected, the transfer goes on by a chunk (the gated cloud writes one at a time).
      cloud.release(chunk);
      await cloud.untilWaiting(1);
      expect((await device.operation(operation.id))?.filesDone).toBe(chunk + 1);

      // Second connection, after the last seen seq: the missed chunk, then the rest live.
      const second = subscribeTransferProgress(transport, server.url, device.token, operation.id, seen.at(-1)!.seq);
      await second.take(1);
      expect(summary(second.events)).toEqual([`FILES_TRANSFERRED:${chunk + 1}`]);
      cloud.release(1);
      const resumed = await second.completion();
      expect(summary(resumed)).toEqual([
        `FILES_TRANSFERRED:${chunk + 1}`,
        `FILES_TRANSFERRED:${chunk + 2}`,
        "SUCCEEDED",
      ]);

      const union = [...seen, ...resumed];
      expectStrictlyIncreasing(union.map((event) => event.seq));
      await expectExactlyTheLog(operation.id, union);
      expect(
        filesOf(union)
          .map((file) => file.fileUUID)
          .sort(),
      ).toEqual(files.map((file) => file.fileUUID).sort());
    },
  );

  it("resumes after the transfer has finished while disconnected", { timeout: 180_000 }, async () => {
    const device = await server.newUser();
    const { operation } = await commitNewFiles(server, device, 3);

    const first = subscribeTransferProgress(transport, server.url, device.token, operation.id);
    const seen = [...(await first.take(2))];
    first.close();
    cloud.release(3);
    expect((await device.waitForOperation(operation.id, 120_000)).state).toBe("SUCCEEDED");

    const rest = await subscribeTransferProgress(
      transport,
      server.url,
      device.token,
      operation.id,
      seen.at(-1)!.seq,
    ).completion();
    const union = [...seen, ...rest];
    expect(summary(union)).toEqual(succeeded(3));
    await expectExactlyTheLog(operation.id, union);
  });
});

describe.each(transports)("transferProgress over %s of a transfer that fails", (transport) => {
  it(
    "ends with FAILED; after a commit resumes it, a subscription after the FAILED event follows it to SUCCEEDED",
    { timeout: 180_000 },
    async () => {
      const device = await server.newUser();
      const { operation, fencingToken } = await commitNewFiles(server, device, 2);
      const first = subscribeTransferProgress(transport, server.url, device.token, operation.id);
      await first.take(2);
      // The first file goes through; the second fails for good (a retry cannot fix it).
      cloud.release(1);
      await first.take(3);
      cloud.failNextWrite(new CloudStorageError("permanent", "injected permanent failure"));
      cloud.release(1);
      const failedRun = await first.completion();
      expect(summary(failedRun)).toEqual(["NOT_STARTED", "IN_PROGRESS", "FILES_TRANSFERRED:1", "FAILED"]);
      expect(failedRun.at(-1)).toMatchObject({ errorCode: "CLOUD_PERMANENT" });
      const failedSeq = failedRun.at(-1)!.seq;

      // Resumed after the FAILED event before anything else happened: the stream ends, empty.
      expect(
        await subscribeTransferProgress(transport, server.url, device.token, operation.id, failedSeq).completion(),
      ).toEqual([]);

      // The same commit again resumes the operation; a subscription after FAILED gets the rest.
      const resumed = await device.commit(fencingToken);
      expect(resumed.id).toBe(operation.id);
      const second = subscribeTransferProgress(transport, server.url, device.token, operation.id, failedSeq);
      await second.take(2);
      cloud.release(1);
      const rest = await second.completion();
      expect(summary(rest)).toEqual(["NOT_STARTED", "IN_PROGRESS", "FILES_TRANSFERRED:2", "SUCCEEDED"]);
      await expectExactlyTheLog(operation.id, [...failedRun, ...rest]);
    },
  );
});

describe("transferProgress over graphql-ws, connection lost", () => {
  it("resumes after the socket was dropped without a close handshake", { timeout: 180_000 }, async () => {
    const device = await server.newUser();
    const { operation } = await commitNewFiles(server, device, 3);
    const userId = (await server.app.services.db.operation.findUniqueOrThrow({ where: { id: operation.id } })).userId;

    const first = subscribeWs<TransferEvent>(server.url, {
      token: device.token,
      query: transferProgressQuery,
      variables: { id: operation.id },
      field: "transferProgress",
    });
    await first.take(2);
    await cloud.untilWaiting(1);
    cloud.release(1);
    await first.take(3);
    first.terminate();
    await first.end();
    const seen = [...first.events];
    // The server notices the lost socket and stops following.
    await followers.until((count) => count === 0, userId);

    // The second chunk (the other two files) is recorded while the device is away.
    cloud.release(2);
    const second = subscribeTransferProgress("ws", server.url, device.token, operation.id, seen.at(-1)!.seq);
    const rest = await second.completion();
    const union = [...seen, ...rest];
    expect(summary(union)).toEqual(succeeded(3));
    await expectExactlyTheLog(operation.id, union);
  });

  it("serves several subscriptions on one socket independently", { timeout: 180_000 }, async () => {
    const device = await server.newUser();
    const one = await commitNewFiles(server, device, 1);
    cloud.release(1);
    await device.waitForOperation(one.operation.id, 120_000);
    const two = await commitNewFiles(server, device, 2);
    const connection = wsConnection(server.url, device.token);
    const subscribeOne = (operationId: string) =>
      connection.subscribe<TransferEvent>({
        query: transferProgressQuery,
        variables: { id: operationId },
        field: "transferProgress",
      });
    const a = subscribeOne(one.operation.id);
    const b = subscribeOne(two.operation.id);
    const replayed = await a.completion();
    expect(summary(replayed)).toEqual(succeeded(1));
    // The first one's end did not end the second one.
    await b.take(2);
    expect(b.ended).toBe(false);
    cloud.release(2);
    const live = await b.completion();
    expect(summary(live)).toEqual(succeeded(2));
    await expectExactlyTheLog(one.operation.id, replayed);
    await expectExactlyTheLog(two.operation.id, live);
    await connection.dispose();
  });
});

describe("transferProgress of a log written by an earlier server", () => {
  it(
    "delivers a FILE_TRANSFERRED event (one file) as FILES_TRANSFERRED with that file",
    { timeout: 180_000 },
    async () => {
      const device = await server.newUser();
      const { operation, files } = await commitNewFiles(server, device, 1);
      const subscription = subscribeTransferProgress("ws", server.url, device.token, operation.id);
      const start = await subscription.take(2);
      const { db, notifier } = server.app.services;
      const { userId } = await db.operation.findUniqueOrThrow({ where: { id: operation.id } });
      const [file] = files;
      await transactWithEvents(db, notifier, (_tx, events) =>
        events.append({
          userId,
          operationId: operation.id,
          type: "FILE_TRANSFERRED",
          payload: { fileUUID: file.fileUUID, version: 0, action: "UPLOAD", bytes: 1000, filesDone: 1, filesTotal: 1 },
        }),
      );
      const [legacy] = await subscription.take(3).then((events) => events.slice(start.length));
      expect(legacy).toMatchObject({
        type: "FILES_TRANSFERRED",
        files: [{ fileUUID: file.fileUUID, version: 0, bytes: 1000 }],
        filesDone: 1,
        filesTotal: 1,
      });
      cloud.release(1);
      await subscription.completion();
    },
  );
});
