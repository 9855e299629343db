// The outbox against a real server, through a proxy that can look down,
// answer in the server's place, or drop an answer after the server acted:
// mutations are stored before they are sent, reach the server in order, one
// at a time, each once; a relaunched outbox sends what the last one left;
// a server's typed error is a result, not a retry.
import { randomUUID } from "node:crypto";
import { gql } from "@urql/core";
import { afterEach, assert, describe, expect, it } from "vitest";
import { authenticate } from "@smsync/api";
import { tusUpload, useTestServer } from "@smsync/testkit";
import { ServerError } from "../../../src/errors.ts";
import { createGraphQLClient, type SmsyncGraphQL } from "../../../src/graphql/createGraphQLClient.ts";
import { commitMutation, lockMutation, unlockMutation } from "../../../src/graphql/operations.ts";
import { OutboxError, resultData } from "../../../src/graphql/outbox/index.ts";
import type { ClientStore, StoreChange } from "../../../src/store/ClientStore.ts";
import { MemoryStore } from "../../../src/store/MemoryStore.ts";
import {
  closedPortUrl,
  recordOutboxEvents,
  startRecordingProxy,
  type RecordingProxy,
} from "../../support/graphqlServer.ts";
import { anyNumber, anyString, objectContaining } from "../../support/matchers.ts";
import { randomUUIDs } from "../../support/uuids.ts";
import { operationEnded } from "../../support/serverReads.ts";

const server = useTestServer();

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
});

async function proxy(): Promise<RecordingProxy> {
  const started = await startRecordingProxy(server.url);
  opened.push(started);
  return started;
}

/** An SDK GraphQL client with a quick backoff (the test waits for events, not for time). */
function connect(
  serverUrl: string,
  token: string,
  store: ClientStore,
  backoff = { initialMs: 10, maxMs: 100 },
): SmsyncGraphQL {
  const graphql = createGraphQLClient({ serverUrl, token, store, outbox: { backoff } });
  opened.push(graphql);
  return graphql;
}

async function userIdOf(token: string): Promise<string> {
  return (await authenticate(server.app.services.db, `Bearer ${token}`))!.userId;
}

/** The server's stored responses of the user's mutations (of these keys only, if given). */
async function idempotencyRecords(token: string, keys?: string[]) {
  return server.app.services.db.idempotencyRecord.findMany({
    where: { userId: await userIdOf(token), ...(keys ? { key: { in: keys } } : {}) },
    orderBy: { createdAt: "asc" },
  });
}

async function lockRow(token: string) {
  return server.app.services.db.lock.findUnique({ where: { userId: await userIdOf(token) } });
}

const unlockDirectly = `mutation($key: String!, $t: Int!) { unlock(idempotencyKey: $key, fencingToken: $t) }`;

describe("the outbox", () => {
  it("stores mutations while the server is unreachable, then sends them in order, one at a time, each once", async () => {
    const device = await server.newUser();
    // The current fencing token, so the test knows the grants to come: t + 1, t + 2, t + 3.
    const { fencingToken: t } = await device.lock();
    await device.ok(unlockDirectly, { key: randomUUID(), t });

    const net = await proxy();
    net.refuse(true);
    const store = new MemoryStore();
    const { client, outbox } = connect(net.url, device.token!, store);
    const events = recordOutboxEvents(outbox);
    const keys = randomUUIDs(5);
    const answers = [
      client.mutation(lockMutation, { idempotencyKey: keys[0] }).toPromise(),
      client.mutation(unlockMutation, { idempotencyKey: keys[1], fencingToken: t + 1 }).toPromise(),
      client.mutation(lockMutation, { idempotencyKey: keys[2] }).toPromise(),
      client.mutation(unlockMutation, { idempotencyKey: keys[3], fencingToken: t + 2 }).toPromise(),
      client.mutation(lockMutation, { idempotencyKey: keys[4] }).toPromise(),
    ];

    // All five stored, in order, before any reached the server; the first tried and failed more than once.
    await events.until(() => events.of("enqueued").length === 5 && events.of("networkFailure").length >= 2);
    const stored = await store.list("outbox");
    expect(stored.map((entry) => entry.value.idempotencyKey)).toEqual(keys);
    expect(stored.map((entry) => entry.value.operationName)).toEqual(["Lock", "Unlock", "Lock", "Unlock", "Lock"]);
    expect(stored[1]?.value.variables).toEqual({ idempotencyKey: keys[1], fencingToken: t + 1 });
    expect(stored[0]?.value.query).toMatch(/lock\(\s*idempotencyKey: \$idempotencyKey/);
    expect(events.of("networkFailure").every((event) => event.entry.idempotencyKey === keys[0])).toBe(true);
    expect(net.connections).toBeGreaterThanOrEqual(2);
    expect(net.requests).toEqual([]);
    expect(await idempotencyRecords(device.token!, keys)).toEqual([]);

    net.refuse(false);
    outbox.setOnline(true);
    const results = await Promise.all(answers);

    expect(results.map((result) => result.error)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(results.map((result) => result.data)).toEqual([
      { lock: objectContaining({ fencingToken: t + 1, heldPreviously: false }) },
      { unlock: true },
      { lock: objectContaining({ fencingToken: t + 2, heldPreviously: false }) },
      { unlock: true },
      { lock: objectContaining({ fencingToken: t + 3, heldPreviously: false }) },
    ]);
    // At the server: in order, each once, never two at a time.
    expect(net.mutationsAtServer().map((request) => request.idempotencyKey)).toEqual(keys);
    expect(net.maxMutationsInFlight).toBe(1);
    const records = await idempotencyRecords(device.token!, keys);
    expect(records).toHaveLength(5);
    expect(records.map((record) => record.key).sort()).toEqual([...keys].sort());
    expect(records.map((record) => record.mutation).sort()).toEqual(["lock", "lock", "lock", "unlock", "unlock"]);
    expect(await lockRow(device.token!)).toMatchObject({ fencingToken: t + 3, holderDeviceId: anyString() });

    // The entries are gone, their results kept by key until taken.
    expect(await store.list("outbox")).toEqual([]);
    expect((await store.list("outboxResults")).map((entry) => entry.key).sort()).toEqual([...keys].sort());
    const taken = await outbox.takeResult<{ unlock: boolean }>(keys[3]);
    expect(taken?.data).toEqual({ unlock: true });
    expect(await outbox.takeResult(keys[3])).toBeUndefined();
    expect(await store.get("outboxResults", keys[3])).toBeUndefined();
  });

  it("after a relaunch, a new outbox over the same store sends what the last one left, once, and keeps the result by key", async () => {
    const device = await server.newUser();
    const store = new MemoryStore();
    const keys = randomUUIDs(2);

    // The first launch: the server's port refuses connections.
    const first = connect(await closedPortUrl(), device.token!, store);
    const firstEvents = recordOutboxEvents(first.outbox);
    expect(await first.outbox.enqueue(lockMutation, { idempotencyKey: keys[0], ttlSeconds: 600 })).toBe(keys[0]);
    const waiting = first.outbox.result(keys[0]);
    await first.outbox.enqueue(lockMutation, { idempotencyKey: keys[1], ttlSeconds: 600 });
    await firstEvents.until(() => firstEvents.of("networkFailure").length >= 1);
    expect(firstEvents.of("networkFailure")[0]?.error.code).toBe("NETWORK");
    await first.close();
    await expect(waiting).rejects.toMatchObject({ name: "OutboxError", code: "OUTBOX_CLOSED" });
    expect((await store.list("outbox")).map((entry) => entry.value.idempotencyKey)).toEqual(keys);

    // The second launch, with the server reachable.
    const net = await proxy();
    const second = connect(net.url, device.token!, store);
    expect((await second.outbox.pending()).map((entry) => entry.idempotencyKey)).toEqual(keys);
    const firstResult = await second.outbox.result<{ lock: { fencingToken: number; heldPreviously: boolean } }>(
      keys[0],
    );
    const secondResult = await second.outbox.result<{ lock: { fencingToken: number; heldPreviously: boolean } }>(
      keys[1],
    );
    expect(resultData(firstResult).lock.heldPreviously).toBe(false);
    expect(resultData(secondResult).lock).toMatchObject({
      fencingToken: firstResult.data!.lock.fencingToken,
      heldPreviously: true,
    });
    expect(net.mutationsAtServer().map((request) => request.idempotencyKey)).toEqual(keys);
    expect((await idempotencyRecords(device.token!)).map((record) => record.key).sort()).toEqual([...keys].sort());
    await second.close();

    // A third launch finds the results by key, without asking the server.
    const requestsBefore = net.requests.length;
    const third = connect(net.url, device.token!, store);
    expect(await third.outbox.pending()).toEqual([]);
    expect((await third.outbox.result(keys[1])).data).toEqual(secondResult.data);
    // Enqueued again with the same key (the engine did not know it had been answered): answered from the store.
    expect((await third.outbox.send(lockMutation, { idempotencyKey: keys[0], ttlSeconds: 600 })).data).toEqual(
      firstResult.data,
    );
    expect(net.requests.length).toBe(requestsBefore);
    expect((await third.outbox.takeResult(keys[0]))?.data).toEqual(firstResult.data);
    await expect(third.outbox.result(keys[0])).rejects.toMatchObject({ code: "OUTBOX_UNKNOWN_KEY" });
  });

  it("a mutation sent again after the outbox closed mid-request (a crash) has one effect on the server", async () => {
    const device = await server.newUser();
    const store = new MemoryStore();
    const net = await proxy();
    const key = randomUUID();
    // The server acts, the answer never arrives, and the app is killed meanwhile.
    net.dropResponses(Infinity);
    const first = connect(net.url, device.token!, store, { initialMs: 60_000, maxMs: 60_000 });
    const firstEvents = recordOutboxEvents(first.outbox);
    await first.outbox.enqueue(lockMutation, { idempotencyKey: key });
    await firstEvents.until(() => firstEvents.of("networkFailure").length === 1);
    await first.close();
    expect(await idempotencyRecords(device.token!)).toHaveLength(1);

    net.dropResponses(0);
    const second = connect(net.url, device.token!, store);
    const result = await second.outbox.result<{ lock: { fencingToken: number; heldPreviously: boolean } }>(key);
    // The first grant, replayed: a second call under a new key would have said heldPreviously: true.
    expect(result.data?.lock.heldPreviously).toBe(false);
    expect(net.mutationsAtServer().map((request) => [request.idempotencyKey, request.responseDropped])).toEqual([
      [key, true],
      [key, false],
    ]);
    expect(await idempotencyRecords(device.token!)).toHaveLength(1);
  });

  it("a lost response is sent again with the same key: one commit, one operation", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = Buffer.from(`lost response ${randomUUID()}`);
    const { fileUUID } = await tusUpload(server.url, device.token!, { version: 0, content, fencingToken });

    const net = await proxy();
    const { client, outbox } = connect(net.url, device.token!, new MemoryStore());
    const events = recordOutboxEvents(outbox);
    net.dropResponses(1);
    const key = randomUUID();
    const result = await client.mutation(commitMutation, { idempotencyKey: key, fencingToken }).toPromise();

    expect(result.error).toBeUndefined();
    const operation = result.data!.commit;
    expect(operation).toMatchObject({
      kind: "OUTBOUND",
      files: [objectContaining({ fileUUID, action: "UPLOAD" })],
    });
    expect(events.of("networkFailure")).toHaveLength(1);
    expect(net.mutationsAtServer().map((request) => [request.idempotencyKey, request.responseDropped])).toEqual([
      [key, true],
      [key, false],
    ]);
    const userId = await userIdOf(device.token!);
    const operations = await server.app.services.db.operation.findMany({ where: { userId } });
    expect(operations.map((row) => row.id)).toEqual([operation.id]);
    expect(
      (await idempotencyRecords(device.token!))
        .filter((record) => record.mutation === "commit")
        .map((record) => record.key),
    ).toEqual([key]);
    expect((await operationEnded(device, operation.id)).state).toBe("SUCCEEDED");
    expect((await device.fileIndex()).files).toEqual([objectContaining({ fileUUID, version: 0, sha256: anyString() })]);
  });

  it("a server's typed error (LOCK_HELD) is the result, not a retry, and the mutations after it go on", async () => {
    const holder = await server.newUser();
    await holder.lock(600);
    const other = await server.newDevice(holder.userName);
    const net = await proxy();
    const { client, outbox } = connect(net.url, other.token!, new MemoryStore());
    const events = recordOutboxEvents(outbox);
    const keys = randomUUIDs(2);

    const viaOutbox = outbox.send(lockMutation, { idempotencyKey: keys[0] });
    const viaUrql = client.mutation(lockMutation, { idempotencyKey: keys[1] }).toPromise();
    const [result, urqlResult] = await Promise.all([viaOutbox, viaUrql]);

    expect(result.data).toBeNull();
    expect(result.error).toBeInstanceOf(ServerError);
    expect(result.error).toMatchObject({ code: "LOCK_HELD", details: { retryAfterSeconds: anyNumber() } });
    expect(() => resultData(result)).toThrow(ServerError);
    expect(urqlResult.error?.graphQLErrors.map((error) => error.extensions.code)).toEqual(["LOCK_HELD"]);
    expect(events.of("networkFailure")).toEqual([]);
    expect(net.mutationsAtServer().map((request) => request.idempotencyKey)).toEqual(keys);
    expect(await outbox.pending()).toEqual([]);
    expect((await outbox.storedResults()).map((stored) => stored.errors[0]?.extensions?.code)).toEqual([
      "LOCK_HELD",
      "LOCK_HELD",
    ]);
    // A failed call stores nothing on the server.
    expect(await idempotencyRecords(other.token!, keys)).toEqual([]);
  });

  it("retries 503 and 429 answers, and takes another 4xx as the answer", async () => {
    const device = await server.newUser();
    const net = await proxy();
    const { outbox } = connect(net.url, device.token!, new MemoryStore());
    const events = recordOutboxEvents(outbox);

    net.answerWith(1, 503, { contentType: "text/html", text: "<h1>down for maintenance</h1>" });
    const first = await outbox.send(lockMutation, { idempotencyKey: randomUUID() });
    expect(first.error).toBeUndefined();
    net.answerWith(1, 429, {
      contentType: "application/json",
      text: JSON.stringify({ errors: [{ message: "slow down" }] }),
    });
    const second = await outbox.send(lockMutation, { idempotencyKey: randomUUID() });
    expect(second.data?.lock.heldPreviously).toBe(true);
    expect(events.of("networkFailure").map((event) => event.error.message)).toEqual([
      "the server answered HTTP 503",
      "the server answered HTTP 429",
    ]);

    net.answerWith(1, 413, { contentType: "text/plain", text: "too large" });
    const third = await outbox.send(lockMutation, { idempotencyKey: randomUUID() });
    expect(third.error).toMatchObject({ code: "HTTP_413", details: { status: 413 } });
    expect(events.of("networkFailure")).toHaveLength(2);
    expect(net.requests.map((request) => request.answeredBy)).toEqual(["proxy", "server", "proxy", "server", "proxy"]);
    expect(await idempotencyRecords(device.token!)).toHaveLength(2);
  });

  it("waits out its backoff with jitter, capped, and setOnline(true) cuts it short", async () => {
    const device = await server.newUser();
    const net = await proxy();
    net.refuse(true);
    const store = new MemoryStore();
    const graphql = createGraphQLClient({
      serverUrl: net.url,
      token: device.token!,
      store,
      outbox: { backoff: { initialMs: 4, maxMs: 16 }, random: () => 0.5 },
    });
    opened.push(graphql);
    const events = recordOutboxEvents(graphql.outbox);
    const answer = graphql.outbox.send(lockMutation, { idempotencyKey: randomUUID() }).catch((error: unknown) => error);
    await events.until(() => events.of("networkFailure").length >= 5);
    // Ceilings 4, 8, 16, 16, 16; a delay between 0 and the ceiling (full jitter: here half of it).
    expect(
      events
        .of("networkFailure")
        .slice(0, 5)
        .map((event) => [event.attempt, event.retryInMs]),
    ).toEqual([
      [1, 2],
      [2, 4],
      [3, 8],
      [4, 8],
      [5, 8],
    ]);
    await graphql.close();

    // A backoff of an hour: only setOnline(true) can bring the answer.
    const patient = connect(net.url, device.token!, store, { initialMs: 3_600_000, maxMs: 3_600_000 });
    const patientEvents = recordOutboxEvents(patient.outbox);
    await patientEvents.until(() => patientEvents.of("networkFailure").length === 1);
    net.refuse(false);
    patient.outbox.setOnline(true);
    const [pending] = await patient.outbox.pending();
    assert.exists(pending);
    expect((await patient.outbox.result(pending.idempotencyKey)).error).toBeUndefined();
    expect(await answer).toMatchObject({ name: "OutboxError", code: "OUTBOX_CLOSED" });
  });

  it("setOnline(false) holds the queue until the app says it is online", async () => {
    const device = await server.newUser();
    const net = await proxy();
    const { outbox } = connect(net.url, device.token!, new MemoryStore());
    outbox.setOnline(false);
    const events = recordOutboxEvents(outbox);
    const key = await outbox.enqueue(lockMutation, { idempotencyKey: randomUUID() });
    await events.until(() => events.of("enqueued").length === 1);
    expect(events.of("sending")).toEqual([]);
    outbox.setOnline(true);
    expect((await outbox.result(key)).error).toBeUndefined();
    expect(net.mutationsAtServer()).toHaveLength(1);
  });

  it("refuses a mutation without an idempotencyKey variable, storing and sending nothing", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const net = await proxy();
    const store = new MemoryStore();
    const { client, outbox } = connect(net.url, device.token!, store);
    const keyless = gql<{ unlock: boolean }, { t: number }>`
      mutation UnlockWithInlineKey($t: Int!) {
        unlock(idempotencyKey: "inline", fencingToken: $t)
      }
    `;

    const result = await client.mutation(keyless, { t: fencingToken }).toPromise();
    expect(result.error?.networkError).toBeInstanceOf(OutboxError);
    expect(result.error?.networkError).toMatchObject({ code: "IDEMPOTENCY_KEY_MISSING" });
    await expect(outbox.enqueue(keyless as never, { t: fencingToken } as never)).rejects.toMatchObject({
      code: "IDEMPOTENCY_KEY_MISSING",
    });
    await expect(outbox.enqueue(lockMutation, { idempotencyKey: "" })).rejects.toBeInstanceOf(OutboxError);

    expect(await store.list("outbox")).toEqual([]);
    expect(await store.list("outboxResults")).toEqual([]);
    expect(net.requests).toEqual([]);
    expect(await lockRow(device.token!)).toMatchObject({ fencingToken, holderDeviceId: anyString() });
  });

  it("one key is one mutation: enqueued twice it is stored and sent once; with other variables it is refused", async () => {
    const device = await server.newUser();
    const net = await proxy();
    net.refuse(true);
    const store = new MemoryStore();
    const { client, outbox } = connect(net.url, device.token!, store);
    const key = randomUUID();
    const answers = [
      client.mutation(lockMutation, { idempotencyKey: key }).toPromise(),
      outbox.send(lockMutation, { idempotencyKey: key }),
    ] as const;
    await expect(outbox.enqueue(lockMutation, { idempotencyKey: key, ttlSeconds: 5 })).rejects.toMatchObject({
      code: "IDEMPOTENCY_KEY_REUSED",
    });
    expect((await store.list("outbox")).length).toBe(1);

    net.refuse(false);
    outbox.setOnline(true);
    const [viaUrql, viaOutbox] = await Promise.all(answers);
    expect(viaUrql.data).toEqual((viaOutbox as { data: unknown }).data);
    expect(net.mutationsAtServer()).toHaveLength(1);
    await expect(outbox.send(unlockMutation, { idempotencyKey: key, fencingToken: 1 })).rejects.toMatchObject({
      code: "IDEMPOTENCY_KEY_REUSED",
    });
  });

  it("lets queries through untouched: not stored, not queued behind mutations, failing at once when the network does", async () => {
    const device = await server.newUser();
    const net = await proxy();
    net.refuse(true);
    const store = new MemoryStore();
    const { client, outbox } = connect(net.url, device.token!, store);
    const events = recordOutboxEvents(outbox);
    const pendingLock = outbox.send(lockMutation, { idempotencyKey: randomUUID() });
    await events.until(() => events.of("networkFailure").length >= 1);

    const offline = await client
      .query(
        gql`
          query {
            fileIndex {
              eventSeq
            }
          }
        `,
        {},
      )
      .toPromise();
    expect(offline.error?.networkError).toBeDefined();
    expect((await store.list("outbox")).length).toBe(1);

    net.refuse(false);
    const online = await client
      .query(
        gql`
          query {
            fileIndex {
              eventSeq
              files {
                fileUUID
              }
            }
          }
        `,
        {},
      )
      .toPromise();
    expect(online.error).toBeUndefined();
    expect(online.data).toEqual({ fileIndex: { eventSeq: anyNumber(), files: [] } });
    outbox.setOnline(true);
    expect((await pendingLock).error).toBeUndefined();
    expect(net.requests.filter((request) => !request.isMutation)).toHaveLength(1);
  });
  it("a result the store failed to keep is asked again with the same key; an enqueue the store refused sends nothing", async () => {
    const device = await server.newUser();
    const net = await proxy();
    const store = new FailingStore();
    const { client, outbox } = connect(net.url, device.token!, store);
    const events = recordOutboxEvents(outbox);

    const enqueueing = (changes: StoreChange[]) =>
      changes.some((change) => change.collection === "outbox" && change.op === "put");
    store.failNext = enqueueing;
    await expect(outbox.enqueue(lockMutation, { idempotencyKey: randomUUID() })).rejects.toThrow("store failure");
    store.failNext = enqueueing;
    const refused = await client.mutation(lockMutation, { idempotencyKey: randomUUID() }).toPromise();
    expect(refused.error?.networkError?.message).toBe("store failure");
    expect(await store.list("outbox")).toEqual([]);
    expect(net.requests).toEqual([]);

    store.failNext = (changes) => changes.some((change) => change.collection === "outboxResults");
    const key = randomUUID();
    const result = await outbox.send(lockMutation, { idempotencyKey: key });
    expect(result.data?.lock.heldPreviously).toBe(false);
    expect(events.of("storeFailure")).toHaveLength(1);
    expect(net.mutationsAtServer().map((request) => request.idempotencyKey)).toEqual([key, key]);
    expect(await idempotencyRecords(device.token!)).toHaveLength(1);
    expect(await store.list("outbox")).toEqual([]);
  });

  it("clear() drops what is pending and stored (the local half of a reset), and the outbox goes on", async () => {
    const device = await server.newUser();
    const net = await proxy();
    net.refuse(true);
    const store = new MemoryStore();
    const { outbox } = connect(net.url, device.token!, store);
    const events = recordOutboxEvents(outbox);
    await store.commit([
      {
        op: "put",
        collection: "outboxResults",
        key: "left-over",
        value: {
          idempotencyKey: "left-over",
          operationName: null,
          variables: {},
          data: null,
          errors: [],
          storedAt: new Date().toISOString(),
        },
      },
    ]);
    const dropped = [
      outbox.send(lockMutation, { idempotencyKey: randomUUID() }),
      outbox.send(lockMutation, { idempotencyKey: randomUUID(), ttlSeconds: 5 }),
    ];
    await events.until(() => events.of("networkFailure").length >= 1);

    await outbox.clear();
    for (const answer of dropped) await expect(answer).rejects.toMatchObject({ code: "OUTBOX_CLEARED" });
    expect(await store.list("outbox")).toEqual([]);
    expect(await store.list("outboxResults")).toEqual([]);

    net.refuse(false);
    outbox.setOnline(true);
    const key = randomUUID();
    expect((await outbox.send(lockMutation, { idempotencyKey: key })).error).toBeUndefined();
    expect(net.mutationsAtServer().map((request) => request.idempotencyKey)).toEqual([key]);
  });
});

/** A memory store whose next commit matching failNext fails, writing nothing. */
class FailingStore extends MemoryStore {
  failNext: ((changes: StoreChange[]) => boolean) | undefined;

  override async commit(changes: StoreChange[]): Promise<void> {
    if (this.failNext?.(changes)) {
      this.failNext = undefined;
      throw new Error("store failure");
    }
    return super.commit(changes);
  }
}
