// Several server instances on one database, one staging area and one cloud:
// a subscriber on one instance hears of a commit made through another
// (Redis fan-out), and a transfer left by a dead instance is taken over.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Schema,
  startTestServer,
  TestGraphQLClient,
  testProvider,
  type TestServer,
  tusUpload,
} from "@smsync/testkit";

const redisUrl = process.env.SMSYNC_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
let apiOnly: TestServer;
let worker: TestServer;

beforeAll(async () => {
  if (testProvider === "sqlite") return;
  // Subscriptions never poll here: an event can only arrive through a wake-up.
  const shared = { SMSYNC_REDIS_URL: redisUrl, SMSYNC_EVENT_POLL_MS: "600000" };
  apiOnly = await startTestServer({ ...shared, SMSYNC_TRANSFER_WORKER: "false" });
  worker = await startTestServer({
    ...shared,
    DATABASE_URL: apiOnly.config.databaseUrl,
    SMSYNC_STAGING_DIR: apiOnly.config.stagingDir,
    SMSYNC_LOCAL_CLOUD_DIR: apiOnly.config.localCloudDir,
    SMSYNC_TRANSFER_CLAIM_SECONDS: "1",
  });
});
afterAll(async () => {
  await worker?.close();
  await apiOnly?.close();
});

type IndexChange = Pick<Schema.FileIndexChange, "seq" | "deviceId"> & { files: Schema.ChangedFile[] };

/** The first `fileIndexChanged` event over SSE from `server`. */
async function firstIndexChange(
  server: TestServer,
  token: string,
  after: number,
  ready: () => void,
): Promise<IndexChange> {
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: `subscription($after: Int) { fileIndexChanged(after: $after) { seq deviceId files { fileUUID version deleted } } }`,
      variables: { after },
    }),
  });
  expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
  ready();
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("stream ended before an event");
    buffer += decoder.decode(value, { stream: true });
    const match = /event: next\ndata: (.*)\n/.exec(buffer);
    if (match) {
      await reader.cancel();
      return (JSON.parse(match[1]!) as { data: { fileIndexChanged: IndexChange } }).data.fileIndexChanged;
    }
  }
}

// Several instances need PostgreSQL (README, "Running several instances"):
// on one SQLite file, a transaction that reads and then writes after the
// other instance committed fails at once with SQLITE_BUSY (its snapshot is
// stale), which made this test flaky. `npm run test:postgres` runs it.
describe.skipIf(testProvider === "sqlite")("several instances", () => {
  it("wakes a subscriber on one instance when a transfer run by another succeeds", async () => {
    const phone = await apiOnly.newUser();
    const laptopToken = (await apiOnly.newDevice(phone.userName)).token!;
    const { eventSeq } = await new TestGraphQLClient(apiOnly.url, laptopToken).fileIndex();
    let subscribed!: () => void;
    const ready = new Promise<void>((resolve) => (subscribed = resolve));
    // The transfer runs on the worker instance; the subscriber is on the other one.
    const change = firstIndexChange(apiOnly, laptopToken, eventSeq, subscribed);
    await ready;

    const { fencingToken } = await phone.lock();
    const { fileUUID } = await tusUpload(apiOnly.url, phone.token!, {
      version: 0,
      content: Buffer.from("hello"),
      fencingToken,
    });
    await phone.commit(fencingToken);
    expect(await change).toMatchObject({ files: [{ fileUUID, version: 0, deleted: false }] });
  });

  it("takes over a transfer claimed by an instance that died", async () => {
    const device = await apiOnly.newUser();
    // Read (and kept by this instance, fileIndex/FileIndexCache.ts) before another instance changes the index.
    expect((await device.fileIndex()).files).toEqual([]);
    const { fencingToken } = await device.lock();
    const fileUUID = randomUUID();
    await tusUpload(apiOnly.url, device.token!, {
      fileUUID,
      version: 0,
      content: Buffer.from("orphaned"),
      fencingToken,
    });
    const committed = await device.commit(fencingToken);
    // The state a dead instance leaves: claimed, never finished, never renewed.
    await apiOnly.app.services.db.$transaction((tx) =>
      tx.operation.update({
        where: { id: committed.id },
        data: {
          state: "IN_PROGRESS",
          claimedBy: "dead-instance",
          claimExpiresAt: new Date(worker.clock.now().getTime() + 60_000),
        },
      }),
    );
    // The claim runs out on the worker's clock, not by waiting for it.
    worker.clock.advance(60_000);
    worker.app.services.transferWakeups.wake();
    const finished = await device.waitForOperation(committed.id);
    expect(finished.state).toBe("SUCCEEDED");
    const row = await apiOnly.app.services.db.operation.findUniqueOrThrow({ where: { id: committed.id } });
    expect(row.claimedBy).toBeNull();
    // The dead instance's run, cut short, counts as an attempt.
    expect(finished.attempts).toBe(1);
    expect((await device.fileIndex()).files).toMatchObject([{ fileUUID, version: 0 }]);
  });
});
