// Subscriptions are authorized like everything else (SPEC section 6): no
// token or a bad one is UNAUTHENTICATED over SSE, and over graphql-ws the
// connection is refused at connection_init with close code 4401; the
// operation of another user is NOT_FOUND; a revoked token stops working.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revokeDeviceTokens } from "../../src/auth/users.ts";
import { rowCounts, startTestServer, type TestServer } from "@smsync/testkit";
import {
  callerOf,
  commitNewFiles,
  countFollowers,
  subscribeFileIndexChanged,
  subscribeTransferProgress,
  transports,
  type LiveSubscription,
  type Transport,
} from "@smsync/testkit";

let server: TestServer;
let followers: ReturnType<typeof countFollowers>;
let operationOfOwner: string;
let owner: Awaited<ReturnType<TestServer["newUser"]>>;

beforeAll(async () => {
  server = await startTestServer();
  followers = countFollowers(server);
  owner = await server.newUser();
  const { operation } = await commitNewFiles(server, owner, 1);
  await owner.waitForOperation(operation.id, 120_000);
  operationOfOwner = operation.id;
});
afterAll(async () => {
  await server?.close();
});

/** How a subscription with a bad token is refused: over graphql-ws, the connection is (webSocketAdmission.ts). */
const refusedToken: Record<Transport, string> = { ws: "close 4401", sse: "UNAUTHENTICATED" };

/**
 * The stream ends with exactly one GraphQL error and no data: its code; or,
 * over graphql-ws, by the server closing the socket: "close <code>".
 */
async function rejectedWith(subscription: LiveSubscription<unknown>): Promise<string | undefined> {
  await subscription.end();
  if (subscription.closeCode !== undefined) {
    expect(subscription.events).toEqual([]);
    return `close ${subscription.closeCode}`;
  }
  expect(subscription.failure, subscription.describe()).toBeUndefined();
  expect(subscription.events).toEqual([]);
  expect(subscription.errors).toHaveLength(1);
  // Errors never carry a stack trace to clients.
  expect(JSON.stringify(subscription.errors)).not.toMatch(/\bat .*\.ts:\d+/);
  return subscription.errorCodes[0];
}

const badTokens: [string, string | null][] = [
  ["no token", null],
  ["an unknown token", "smsync_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
  ["a malformed token", "not a token"],
];

describe.each(transports)("subscriptions over %s", (transport) => {
  it.each(badTokens)("with %s are refused", { timeout: 120_000 }, async (_name, token) => {
    const before = await rowCounts(server.app.services.db);
    expect(await rejectedWith(subscribeFileIndexChanged(transport, server.url, token, 0))).toBe(
      refusedToken[transport],
    );
    expect(await rejectedWith(subscribeTransferProgress(transport, server.url, token, operationOfOwner, 0))).toBe(
      refusedToken[transport],
    );
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });

  it("give NOT_FOUND for the operation of another user, and nothing of it", { timeout: 120_000 }, async () => {
    const stranger = await server.newUser();
    const before = await rowCounts(server.app.services.db);
    expect(
      await rejectedWith(subscribeTransferProgress(transport, server.url, stranger.token, operationOfOwner, 0)),
    ).toBe("NOT_FOUND");
    // Even when it names the operation of another user through a device of its own user.
    expect(
      await rejectedWith(subscribeTransferProgress(transport, server.url, stranger.token, "no-such-operation")),
    ).toBe("NOT_FOUND");
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    // The owner gets it.
    const events = await subscribeTransferProgress(transport, server.url, owner.token, operationOfOwner).completion();
    expect(events.at(-1)).toMatchObject({ state: "SUCCEEDED", operationId: operationOfOwner });
  });

  it("end with UNAUTHENTICATED, delivering nothing more, once the token is revoked", { timeout: 120_000 }, async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const laptopCaller = await callerOf(server, laptop.token!);
    const changes = subscribeFileIndexChanged(transport, server.url, laptop.token, (await laptop.fileIndex()).eventSeq);
    await followers.until((count) => count === 1, laptopCaller.userId);
    expect(await revokeDeviceTokens(server.app.services.db, phone.userName, laptopCaller.deviceName)).toBe(1);

    // The phone's commit would be the laptop's next event; the revoked laptop gets the error instead.
    const { operation } = await commitNewFiles(server, phone, 1);
    await phone.waitForOperation(operation.id, 120_000);
    expect(await rejectedWith(changes)).toBe("UNAUTHENTICATED");
    await followers.until((count) => count === 0, laptopCaller.userId);
    // The phone, still valid, follows on.
    const phoneChanges = subscribeFileIndexChanged(transport, server.url, phone.token, 0);
    expect((await phoneChanges.take(1))[0].operationId).toBe(operation.id);
    phoneChanges.close();
  });

  it("stop working with a revoked token", { timeout: 120_000 }, async () => {
    const device = await server.newUser();
    const caller = await callerOf(server, device.token!);
    const accepted = subscribeFileIndexChanged(transport, server.url, device.token, 0);
    await followers.until((count) => count >= 1, caller.userId);
    accepted.close();
    await followers.until((count) => count === 0, caller.userId);
    expect(await revokeDeviceTokens(server.app.services.db, device.userName, caller.deviceName)).toBe(1);
    const before = await rowCounts(server.app.services.db);
    expect(await rejectedWith(subscribeFileIndexChanged(transport, server.url, device.token, 0))).toBe(
      refusedToken[transport],
    );
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });
});
