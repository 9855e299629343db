// The graphql-ws plane is bounded (docs/protocol.md, "WebSocket
// connections"): a message over SMSYNC_WS_MAX_PAYLOAD_BYTES closes its socket
// with 1009; connection_init without a valid device token is refused with
// 4401; a device past its connections is refused with 4429, and past its
// running subscriptions is answered RATE_LIMITED; what a closed connection
// held, cleanly or not, is given back.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { revokeDeviceTokens } from "../../src/auth/users.ts";
import {
  callerOf,
  commitNewFiles,
  countFollowers,
  eventually,
  fileIndexChangedQuery,
  GraphQLSocket,
  startTestServer,
  subscribeFileIndexChanged,
  type TestServer,
} from "@smsync/testkit";
import type { DeviceCounts } from "../../src/graphql/DeviceSocketLimits.ts";

const maxConnections = 3;
const maxSubscriptions = 4;

let server: TestServer;
let followers: ReturnType<typeof countFollowers>;
beforeAll(async () => {
  // The payload limit keeps its default (1 MiB); the caps are small, to reach them with few sockets.
  server = await startTestServer({
    SMSYNC_WS_MAX_CONNECTIONS_PER_DEVICE: String(maxConnections),
    SMSYNC_WS_MAX_SUBSCRIPTIONS_PER_DEVICE: String(maxSubscriptions),
  });
  followers = countFollowers(server);
});
afterAll(async () => {
  await server?.close();
});

const unauthorized = { code: 4401, reason: "Unauthorized" };
const tooManyConnections = { code: 4429, reason: "Too many connections" };

/** A new user's device: its token and ids. */
async function newDevice() {
  const device = await server.newUser();
  const caller = await callerOf(server, device.token!);
  return { device, token: device.token!, ...caller };
}

/** Opens n connections of the token, each acknowledged. */
async function connectAll(token: string, n: number): Promise<GraphQLSocket[]> {
  const sockets: GraphQLSocket[] = [];
  for (let i = 0; i < n; i++) {
    const { socket, answer } = await GraphQLSocket.connect(server.url, token);
    expect(answer).toBe("acknowledged");
    sockets.push(socket);
  }
  return sockets;
}

/** Resolves once the server's counts of what the device holds satisfy check (the server sees a close after the client). */
async function untilCounts(deviceId: string, what: string, check: (counts: DeviceCounts) => boolean): Promise<void> {
  await eventually(what, () => Promise.resolve(server.app.webSocketCountsOf(deviceId)), check);
}

/** Resolves once this instance has given back everything the device held. */
async function untilReleased(deviceId: string): Promise<void> {
  await untilCounts(
    deviceId,
    "the device's connections and subscriptions given back",
    (counts) => counts.connections === 0 && counts.operations === 0,
  );
}

describe("the graphql-ws plane", () => {
  it("closes a socket whose message is over 1 MiB with 1009, and serves the others", { timeout: 120_000 }, async () => {
    const { device, token, userId } = await newDevice();
    const changes = subscribeFileIndexChanged("ws", server.url, token, (await device.fileIndex()).eventSeq);
    await followers.until((count) => count === 1, userId);

    // A ping carrying 2 MiB: answered with a pong if the server read it.
    const consoleErrors = vi.spyOn(console, "error");
    const { socket, answer } = await GraphQLSocket.connect(server.url, token);
    expect(answer).toBe("acknowledged");
    socket.send({ type: "ping", payload: { padding: "x".repeat(2 * 1024 * 1024) } });
    await socket.until(
      () => socket.closedWith !== undefined || socket.messages.some((message) => message.type === "pong"),
      "the close or a pong",
    );
    expect(socket.closedWith?.code).toBe(1009);
    expect(socket.messages.map((message) => message.type)).toEqual(["connection_ack"]);

    // Before connection_init too: the bytes are refused before anyone is authenticated.
    const anonymous = await GraphQLSocket.open(server.url);
    anonymous.sendRaw("x".repeat(2 * 1024 * 1024));
    expect((await anonymous.closed()).code).toBe(1009);
    // The client's error, not the server's: nothing printed as an internal error.
    expect(consoleErrors).not.toHaveBeenCalled();
    consoleErrors.mockRestore();

    // The device's other connection goes on, and new ones are served.
    const { operation } = await commitNewFiles(server, device, 1);
    const [change] = await changes.take(1);
    expect(change.operationId).toBe(operation.id);
    changes.close();
    const next = await GraphQLSocket.connect(server.url, token);
    expect(next.answer).toBe("acknowledged");
    await next.socket.close();
  });

  it("refuses connection_init without a valid device token with 4401", { timeout: 120_000 }, async () => {
    const { device, deviceName } = await newDevice();
    const payloads: [string, Record<string, unknown> | undefined][] = [
      ["no payload", undefined],
      ["no authorization", { token: "smsync_AAAA" }],
      ["an unknown token", { authorization: "Bearer smsync_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }],
      ["a malformed token", { authorization: "Bearer not a token" }],
      ["an authorization that is not a string", { authorization: { token: device.token } }],
    ];
    for (const [name, payload] of payloads) {
      const socket = await GraphQLSocket.open(server.url);
      expect([name, await socket.init(payload)]).toEqual([name, unauthorized]);
      expect(socket.messages).toEqual([]);
    }

    // A revoked token: refused from then on.
    const [before] = await connectAll(device.token!, 1);
    await before!.close();
    expect(await revokeDeviceTokens(server.app.services.db, device.userName, deviceName)).toBe(1);
    expect((await GraphQLSocket.connect(server.url, device.token)).answer).toEqual(unauthorized);
  });

  it("acknowledges a valid token, whose subscriptions get their events", { timeout: 120_000 }, async () => {
    const { device, token, userId } = await newDevice();
    const [socket] = await connectAll(token, 1);
    socket!.subscribe("changes", fileIndexChangedQuery, { after: (await device.fileIndex()).eventSeq });
    await followers.until((count) => count === 1, userId);
    const { operation } = await commitNewFiles(server, device, 1);
    await socket!.until(() => socket!.messagesOf("changes").length > 0, "an event");
    expect(socket!.messagesOf("changes")[0]).toMatchObject({
      type: "next",
      payload: { data: { fileIndexChanged: { operationId: operation.id } } },
    });
    await socket!.close();
  });

  it(
    `refuses a device's connection past ${maxConnections} with 4429, not another device's; closes give them back`,
    { timeout: 120_000 },
    async () => {
      const { device, token, deviceId } = await newDevice();
      const sockets = await connectAll(token, maxConnections);
      expect(server.app.webSocketCountsOf(deviceId)).toEqual({ connections: maxConnections, operations: 0 });
      const refused = await GraphQLSocket.connect(server.url, token);
      expect(refused.answer).toEqual(tooManyConnections);

      // Another device of the same user connects; the device's own connections still work.
      const laptop = await server.newDevice(device.userName);
      const [laptopSocket] = await connectAll(laptop.token!, 1);
      sockets[0]!.subscribe("changes", fileIndexChangedQuery, { after: (await device.fileIndex()).eventSeq });
      await followers.until((count) => count === 1, (await callerOf(server, token)).userId);

      // Closed cleanly or dropped without a close handshake, each connection is given back.
      await sockets[0]!.close();
      await sockets[1]!.close();
      sockets[2]!.terminate();
      await untilReleased(deviceId);
      const again = await connectAll(token, maxConnections);
      expect((await GraphQLSocket.connect(server.url, token)).answer).toEqual(tooManyConnections);
      for (const socket of [...again, laptopSocket!]) await socket.close();
      await untilReleased(deviceId);
    },
  );

  it("counts no operation it answered with an error", { timeout: 120_000 }, async () => {
    const named = (name: string) => fileIndexChangedQuery.replace("subscription(", `subscription ${name}(`);
    const { token, deviceId } = await newDevice();
    const [socket] = (await connectAll(token, 1)) as [GraphQLSocket];
    const refused: [string, string, string | undefined][] = [
      ["syntax", "subscription { fileIndexChanged(after: 0) { seq ", undefined],
      ["unknown field", "subscription { noSuchField }", undefined],
      ["two operations, none chosen", `${named("A")} ${named("B")}`, undefined],
      ["no such operation", named("Changes"), "NoSuchOperation"],
    ];
    for (const [id, query, operationName] of refused) {
      socket.send({ id, type: "subscribe", payload: { query, operationName, variables: { after: 0 } } });
      expect(await socket.endOf(id)).toMatchObject({ id, type: "error" });
      // The count was given back before the answer was sent.
      expect([id, server.app.webSocketCountsOf(deviceId)]).toEqual([id, { connections: 1, operations: 0 }]);
    }
    await socket.close();
  });

  it(
    `answers a device's subscription past ${maxSubscriptions}, over all its connections, with RATE_LIMITED`,
    { timeout: 120_000 },
    async () => {
      const { device, token, userId, deviceId } = await newDevice();
      const after = (await device.fileIndex()).eventSeq;
      const [first, second] = (await connectAll(token, 2)) as [GraphQLSocket, GraphQLSocket];
      first.subscribe("1", fileIndexChangedQuery, { after });
      first.subscribe("2", fileIndexChangedQuery, { after });
      second.subscribe("3", fileIndexChangedQuery, { after });
      second.subscribe("4", fileIndexChangedQuery, { after });
      await followers.until((count) => count === maxSubscriptions, userId);

      // Without the cap it would be followed: the race names which happened.
      first.subscribe("5", fileIndexChangedQuery, { after });
      const outcome = await Promise.race([
        first.endOf("5"),
        followers.until((count) => count > maxSubscriptions, userId).then(() => "followed past the cap"),
      ]);
      expect(outcome).toMatchObject({
        id: "5",
        type: "error",
        payload: [{ extensions: { code: "RATE_LIMITED", maxSubscriptions } }],
      });

      // The connection goes on; an ended subscription (here the client's complete) makes room for one more.
      first.complete("1");
      await untilCounts(
        deviceId,
        "the completed subscription given back",
        (counts) => counts.operations === maxSubscriptions - 1,
      );
      first.subscribe("6", fileIndexChangedQuery, { after });
      await followers.until((count) => count === maxSubscriptions, userId);
      const { operation } = await commitNewFiles(server, device, 1);
      for (const [socket, id] of [
        [first, "6"],
        [second, "3"],
      ] as const) {
        await socket.until(() => socket.messagesOf(id).length > 0, `an event of ${id}`);
        expect(socket.messagesOf(id)[0]).toMatchObject({
          type: "next",
          payload: { data: { fileIndexChanged: { operationId: operation.id } } },
        });
      }

      // A connection dropped without a close handshake gives its subscriptions back.
      second.terminate();
      await untilCounts(
        deviceId,
        "the dropped connection's subscriptions given back",
        (counts) => counts.connections === 1 && counts.operations === 2,
      );
      await first.close();
      await untilReleased(deviceId);
    },
  );
});
