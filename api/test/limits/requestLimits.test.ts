// Rate limits and the in-flight cap (limits/RequestLimits.ts): a flood from
// one token, one user or one address is answered 429 RATE_LIMITED while
// others are served, on the GraphQL endpoint and on the byte planes; with
// Redis, the counts are shared by the instances.
import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLSocket, startTestServer, type TestServer, useTestServer } from "@smsync/testkit";

const redisUrl = process.env.SMSYNC_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

const typename = JSON.stringify({ query: "{ __typename }" });

interface GraphQLBody {
  errors: { extensions: { code: string; limit?: string; retryAfterSeconds?: number } }[];
}

async function post(url: string, token: string | null, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typename,
  });
  const body = (await response.json()) as GraphQLBody;
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body };
}

/** `count` requests at once; their statuses. */
async function burst(count: number, send: () => Promise<{ status: number }>): Promise<number[]> {
  return (await Promise.all(Array.from({ length: count }, send))).map((answer) => answer.status);
}

describe("per device token and per user", () => {
  const server = useTestServer({
    SMSYNC_RATE_LIMIT_DEVICE: "5",
    SMSYNC_RATE_LIMIT_USER: "8",
    SMSYNC_RATE_LIMIT_ADDRESS: "0",
    // One window for the whole file: what a test counts cannot roll over into a new window meanwhile.
    SMSYNC_RATE_LIMIT_WINDOW_SECONDS: "600",
  });

  it("refuses a token's flood with 429 RATE_LIMITED and Retry-After, while another user is served", async () => {
    const flooder = await server.newUser();
    const statuses = await burst(20, () => post(server.url, flooder.token));
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(15);

    const refused = await post(server.url, flooder.token);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refused.body.errors[0]!.extensions).toMatchObject({ code: "RATE_LIMITED", limit: "device" });
    expect(refused.body.errors[0]!.extensions.retryAfterSeconds).toBeGreaterThanOrEqual(1);

    const other = await server.newUser();
    expect((await post(server.url, other.token)).status).toBe(200);
  });

  it("refuses a flood on the byte planes with the JSON error body", async () => {
    const flooder = await server.newUser();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        fetch(`${server.url}/downloads/${randomUUID()}/0`, { headers: { authorization: `Bearer ${flooder.token}` } }),
      ),
    );
    const refused = answers.find((answer) => answer.status === 429);
    expect(refused).toBeDefined();
    expect(refused!.headers.get("retry-after")).toMatch(/^\d+$/);
    for (const answer of answers) if (answer !== refused) await answer.body?.cancel();
    expect(await refused!.json()).toMatchObject({ code: "RATE_LIMITED", limit: "device" });
  });

  it("counts a WebSocket's connection and each of its operations, answering those over the limit RATE_LIMITED", async () => {
    const device = await server.newUser();
    const { socket, answer } = await GraphQLSocket.connect(server.url, device.token);
    expect(answer).toBe("acknowledged");
    // The connection was the device's first request of 5: 4 operations pass, the rest are refused.
    for (let index = 0; index < 8; index++) socket.subscribe(String(index), "{ __typename }");
    const ends = await Promise.all(Array.from({ length: 8 }, (_, index) => socket.endOf(String(index))));
    const refused = ends.filter((end) => end.type === "error");
    expect(ends.filter((end) => end.type === "complete")).toHaveLength(4);
    expect(refused).toHaveLength(4);
    expect(refused[0]!.payload).toMatchObject([{ extensions: { code: "RATE_LIMITED", limit: "device" } }]);
    await socket.close();
    // And a new connection of the device, over its limit, is refused too.
    expect((await GraphQLSocket.connect(server.url, device.token)).answer).toMatchObject({ code: 4429 });
  });

  it("counts the devices of one user together once their tokens have authenticated", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const tablet = await server.newDevice(phone.userName);
    // Each token authenticates once (and is then known), well within its own limit.
    for (const device of [phone, laptop, tablet]) expect((await post(server.url, device.token)).status).toBe(200);
    const statuses = await burst(4, () => post(server.url, phone.token));
    statuses.push(...(await burst(4, () => post(server.url, laptop.token))));
    // 8 for the user: the tablet, under its own device limit, is refused for the user's.
    const tablet429 = await post(server.url, tablet.token);
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(tablet429.status).toBe(429);
    expect(tablet429.body.errors[0]!.extensions).toMatchObject({ code: "RATE_LIMITED", limit: "user" });
  });
});

describe("per client address", () => {
  const server = useTestServer({
    SMSYNC_RATE_LIMIT_ADDRESS: "10",
    SMSYNC_RATE_LIMIT_DEVICE: "0",
    SMSYNC_RATE_LIMIT_USER: "0",
    SMSYNC_TRUSTED_PROXIES: "127.0.0.2",
    SMSYNC_RATE_LIMIT_WINDOW_SECONDS: "600",
  });

  it("refuses an anonymous and bad-token flood from one address", async () => {
    const statuses = await burst(30, () => post(server.url, Math.random() < 0.5 ? null : `smsync_${randomUUID()}`));
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(20);
    const refused = await post(server.url, null);
    expect(refused.body.errors[0]!.extensions).toMatchObject({ code: "RATE_LIMITED", limit: "address" });
  });

  it("reads X-Forwarded-For only from a trusted proxy", async () => {
    // From 127.0.0.2, the trusted proxy: 20 clients it names, each well within its limit.
    const forwarded = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        postFrom("127.0.0.2", server.url, { "x-forwarded-for": `10.0.0.${index}` }),
      ),
    );
    expect(forwarded.every((status) => status === 200)).toBe(true);
    // From 127.0.0.1, not trusted: what it forwards is ignored, every request counts as 127.0.0.1's.
    const direct = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        postFrom("127.0.0.1", server.url, { "x-forwarded-for": `10.0.1.${index}` }),
      ),
    );
    expect(direct.filter((status) => status === 429).length).toBeGreaterThanOrEqual(10);
  });
});

/** POST { __typename } from a given local address (node:http: fetch cannot choose it); the status. */
function postFrom(localAddress: string, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${url}/graphql`,
      { method: "POST", localAddress, headers: { "content-type": "application/json", ...headers }, agent: false },
      (response) => {
        response.resume();
        response.once("end", () => resolve(response.statusCode!));
      },
    );
    request.once("error", reject);
    request.end(typename);
  });
}

describe("requests in flight per device", () => {
  const server = useTestServer({ SMSYNC_IN_FLIGHT_PER_DEVICE: "1" });

  it("refuses a device's request while its cap of requests is in flight, and serves others", async () => {
    const holder = await server.newUser();
    const waiter = await server.newDevice(holder.userName);
    await holder.lock(60);
    // The waiter's lock call waits in the server (waitSeconds): one request in flight.
    const waiting = fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${waiter.token}` },
      body: JSON.stringify({
        query: `mutation { lock(idempotencyKey: "${randomUUID()}", waitSeconds: 2) { fencingToken } }`,
      }),
    });
    const { id: userId } = await server.app.services.db.user.findUniqueOrThrow({ where: { name: holder.userName } });
    while (server.app.services.lockLine.waiting(userId) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await post(server.url, waiter.token);
    expect(second.status).toBe(429);
    expect(second.body.errors[0]!.extensions).toMatchObject({ code: "RATE_LIMITED", limit: "inFlight" });
    expect((await post(server.url, holder.token)).status).toBe(200);

    expect(((await (await waiting).json()) as GraphQLBody).errors[0]!.extensions.code).toBe("LOCK_HELD");
    // The waiting request ended: the device is served again.
    expect((await post(server.url, waiter.token)).status).toBe(200);
  });
});

describe("with Redis, across instances", () => {
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    const shared = {
      SMSYNC_REDIS_URL: redisUrl,
      SMSYNC_RATE_LIMIT_DEVICE: "5",
      SMSYNC_RATE_LIMIT_ADDRESS: "0",
      SMSYNC_RATE_LIMIT_WINDOW_SECONDS: "600",
    };
    first = await startTestServer(shared);
    second = await startTestServer(shared);
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  it("counts a token's requests to every instance against one limit", async () => {
    // A token as sent is limited whether or not it is valid: the same one to two servers.
    const token = `smsync_${randomUUID()}`;
    const statuses = await burst(5, () => post(first.url, token));
    expect(statuses.every((status) => status === 200)).toBe(true);
    const onSecond = await post(second.url, token);
    expect(onSecond.status).toBe(429);
    expect(onSecond.body.errors[0]!.extensions).toMatchObject({ code: "RATE_LIMITED", limit: "device" });
  });
});
