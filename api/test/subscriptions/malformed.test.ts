// A subscription that does not parse or validate is answered with a GraphQL
// error for that operation alone: over graphql-ws the socket and its other
// subscriptions go on (the error closed the socket with 4500 before).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowCounts, startTestServer, type TestServer } from "@smsync/testkit";
import {
  callerOf,
  commitNewFiles,
  countFollowers,
  fileIndexChangedQuery,
  subscribe,
  transports,
  wsConnection,
  type FileIndexChange,
} from "@smsync/testkit";

let server: TestServer;
let followers: ReturnType<typeof countFollowers>;
beforeAll(async () => {
  server = await startTestServer();
  followers = countFollowers(server);
});
afterAll(async () => {
  await server?.close();
});

const malformed: [string, string, string | undefined][] = [
  ["a syntax error", "subscription { fileIndexChanged(after: 0) { seq ", undefined],
  ["an unknown field", "subscription { noSuchField }", "GRAPHQL_VALIDATION_FAILED"],
  [
    "two root fields",
    "subscription { a: fileIndexChanged { seq } b: fileIndexChanged { seq } }",
    "GRAPHQL_VALIDATION_FAILED",
  ],
];

describe.each(transports)("a malformed subscription over %s", (transport) => {
  it.each(malformed)("with %s gets a GraphQL error", { timeout: 120_000 }, async (_name, query, code) => {
    const device = await server.newUser();
    const before = await rowCounts(server.app.services.db);
    const subscription = subscribe<unknown>(transport, server.url, {
      token: device.token,
      query,
      field: "fileIndexChanged",
    });
    await subscription.end();
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    expect(subscription.failure, subscription.describe()).toBeUndefined();
    expect(subscription.events).toEqual([]);
    expect(subscription.errors).toHaveLength(1);
    expect(subscription.errors[0]!.message).toBeTruthy();
    expect(subscription.errors[0]!.extensions?.code).toBe(code);
    expect(subscription.errors[0]!.extensions?.http).toBeUndefined();
  });
});

describe("graphql-ws", () => {
  it("keeps the connection and its other subscriptions after a malformed one", { timeout: 120_000 }, async () => {
    const device = await server.newUser();
    const { userId } = await callerOf(server, device.token!);
    const connection = wsConnection(server.url, device.token);
    const changes = connection.subscribe<FileIndexChange>({
      query: fileIndexChangedQuery,
      variables: { after: 0 },
      field: "fileIndexChanged",
    });
    await followers.until((count) => count === 1, userId);
    for (const [, query] of malformed) {
      const bad = connection.subscribe<unknown>({ query, field: "fileIndexChanged" });
      await bad.end();
      expect(bad.failure, bad.describe()).toBeUndefined();
      expect(bad.errors).toHaveLength(1);
    }
    expect(changes.ended).toBe(false);
    const { operation } = await commitNewFiles(server, device, 1);
    await device.waitForOperation(operation.id, 120_000);
    const [change] = await changes.take(1);
    expect(change.operationId).toBe(operation.id);
    await connection.dispose();
    await followers.until((count) => count === 0, userId);
  });
});
