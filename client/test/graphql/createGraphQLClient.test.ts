// The SDK's urql Client against a real server: queries over HTTP with the
// device token; subscriptions over graphql-ws with the token in the
// connection parameters, without graphql-ws's own resubscription (the SDK
// resubscribes after the last seq it saw).
import { randomUUID } from "node:crypto";
import { afterEach, assert, describe, expect, it } from "vitest";
import { authenticate } from "@smsync/api";
import {
  countFollowers,
  GraphQLSocket,
  loggedTransferEvents,
  type TestGraphQLClient,
  tusUpload,
  useTestServer,
} from "@smsync/testkit";
import { createGraphQLClient, type SmsyncGraphQL } from "../../src/graphql/createGraphQLClient.ts";
import {
  fileIndexChangedSubscription,
  fileIndexQuery,
  serverInfoQuery,
  transferProgressSubscription,
} from "../../src/graphql/operations.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { followResults, startRecordingProxy, type RecordingProxy } from "../support/graphqlServer.ts";
import { anyNumber, stringMatching } from "../support/matchers.ts";

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

function connect(serverUrl: string, token: string | (() => string)): SmsyncGraphQL {
  const graphql = createGraphQLClient({ serverUrl, token, store: new MemoryStore() });
  opened.push(graphql);
  return graphql;
}

/** Locks, uploads one new file over tus and commits it; the operation's id and the file. */
async function commitNewFile(device: TestGraphQLClient): Promise<{ operationId: string; fileUUID: string }> {
  const { fencingToken } = await device.lock();
  const { fileUUID } = await tusUpload(server.url, device.token!, {
    version: 0,
    content: Buffer.from(randomUUID()),
    fencingToken,
  });
  const operation = (await device.commit(fencingToken)) as { id: string };
  return { operationId: operation.id, fileUUID };
}

const upgrades = (net: RecordingProxy) =>
  net.requests.filter((request) => request.method === "GET" && request.path === "/graphql");

describe("the SDK's GraphQL client", () => {
  it("sends queries over HTTP with the device token", async () => {
    const device = await server.newUser();
    const net = await proxy();
    let token = device.token!;
    const { client } = connect(net.url, () => token);

    const info = await client.query(serverInfoQuery, {}).toPromise();
    expect(info.error).toBeUndefined();
    expect(info.data?.serverInfo).toMatchObject({
      tusEndpoint: stringMatching(/\/uploads$/),
      limits: { maxIdempotencyKeyLength: 128 },
    });
    const index = await client.query(fileIndexQuery, {}).toPromise();
    expect(index.data?.fileIndex).toEqual({ eventSeq: anyNumber(), files: [] });

    // The token is read for each request: a revoked one is refused.
    token = "smsync_not_a_token";
    const refused = await client.query(fileIndexQuery, {}).toPromise();
    expect(refused.error?.graphQLErrors.map((error) => error.extensions.code)).toEqual(["UNAUTHENTICATED"]);
    expect(net.requests.map((request) => [request.method, request.operationName])).toEqual([
      ["POST", "ServerInfo"],
      ["POST", "FileIndex"],
      ["POST", "FileIndex"],
    ]);
  });

  it("follows fileIndexChanged and transferProgress over one graphql-ws connection authorized by the token", async () => {
    const device = await server.newUser();
    const net = await proxy();
    const { client } = connect(net.url, device.token!);
    const { eventSeq } = (await client.query(fileIndexQuery, {}).toPromise()).data!.fileIndex;

    const changes = followResults(client.subscription(fileIndexChangedSubscription, { after: eventSeq }));
    const { operationId, fileUUID } = await commitNewFile(device);
    const progress = followResults(client.subscription(transferProgressSubscription, { operationId, after: 0 }));

    await progress.until((results) => results.some((result) => result.data?.transferProgress.state === "SUCCEEDED"));
    await changes.until((results) => results.some((result) => result.data));
    expect(progress.results.every((result) => result.error === undefined)).toBe(true);
    // Every event of the transfer, as the server logged it, in order.
    const events = progress.results.map((result) => result.data!.transferProgress);
    const logged = await loggedTransferEvents(server, operationId);
    expect(events.map((event) => [event.seq, event.type])).toEqual(logged.map((event) => [event.seq, event.type]));
    expect(events.flatMap((event) => event.files ?? []).map((file) => file.fileUUID)).toEqual([fileUUID]);
    const [change] = changes.results;
    assert.exists(change);
    expect(change.error).toBeUndefined();
    expect(change.data!.fileIndexChanged).toMatchObject({
      operationId,
      files: [{ fileUUID, version: 0, deleted: false }],
    });
    expect(change.data!.fileIndexChanged.seq).toBeGreaterThan(eventSeq);

    // One WebSocket for both subscriptions; HTTP only for the query.
    expect(upgrades(net)).toHaveLength(1);
    expect(net.requests.filter((request) => request.method === "POST").map((request) => request.operationName)).toEqual(
      ["FileIndex"],
    );
    changes.unsubscribe();
    progress.unsubscribe();
  });

  it("ends a subscription with UNAUTHENTICATED when the token is not valid, without connecting again", async () => {
    // The server refuses the connection itself (close 4401), not only the subscription.
    const net = await proxy();
    const { client } = connect(net.url, "smsync_not_a_token");
    const changes = followResults(client.subscription(fileIndexChangedSubscription, { after: 0 }));
    await changes.until((results) => results.some((result) => result.error));
    expect(
      changes.results.flatMap((result) => result.error?.graphQLErrors.map((error) => error.extensions.code) ?? []),
    ).toEqual(["UNAUTHENTICATED"]);
    expect(upgrades(net)).toHaveLength(1);
  });

  it("ends a subscription with RATE_LIMITED when the device has as many connections as the server allows", async () => {
    const device = await server.newUser();
    const held: GraphQLSocket[] = [];
    for (let i = 0; i < server.config.wsMaxConnectionsPerDevice; i++) {
      const { socket, answer } = await GraphQLSocket.connect(server.url, device.token);
      expect(answer).toBe("acknowledged");
      held.push(socket);
    }
    const { client } = connect(server.url, device.token!);
    const changes = followResults(client.subscription(fileIndexChangedSubscription, { after: 0 }));
    await changes.until((results) => results.some((result) => result.error));
    expect(
      changes.results.flatMap((result) => result.error?.graphQLErrors.map((error) => error.extensions.code) ?? []),
    ).toEqual(["RATE_LIMITED"]);
    for (const socket of held) await socket.close();
  });

  it("reports a dropped WebSocket as an error instead of resubscribing; resubscribed after the last seq, it misses nothing", async () => {
    const device = await server.newUser();
    const userId = (await authenticate(server.app.services.db, `Bearer ${device.token}`))!.userId;
    const followers = countFollowers(server);
    try {
      const net = await proxy();
      const { client } = connect(net.url, device.token!);
      const first = followResults(client.subscription(fileIndexChangedSubscription, { after: 0 }));
      const one = await commitNewFile(device);
      await first.until((results) => results.some((result) => result.data));
      const lastSeq = first.results.find((result) => result.data)!.data!.fileIndexChanged.seq;

      net.cutAll();
      await first.until((results) => results.some((result) => result.error));
      expect(first.results.find((result) => result.error)!.error!.networkError).toBeDefined();
      await followers.until((count) => count === 0, userId);
      expect(upgrades(net)).toHaveLength(1);

      // Meanwhile another commit; the SDK resubscribes after what it saw.
      const two = await commitNewFile(device);
      await device.waitForOperation(two.operationId);
      const second = followResults(client.subscription(fileIndexChangedSubscription, { after: lastSeq }));
      await second.until((results) => results.some((result) => result.data));
      expect(second.results[0]?.data!.fileIndexChanged).toMatchObject({
        operationId: two.operationId,
        files: [{ fileUUID: two.fileUUID }],
      });
      expect(
        first.results.filter((result) => result.data).map((result) => result.data!.fileIndexChanged.operationId),
      ).toEqual([one.operationId]);
      expect(upgrades(net)).toHaveLength(2);
      second.unsubscribe();
    } finally {
      followers.restore();
    }
  });
});
