// The fair lock: devices get the lock in the order they first asked, a device
// asking again before its retry hint is refused, and a lock call with
// waitSeconds waits in the server for its turn.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { rowCounts, type Schema, type TestGraphQLClient, typedQuery, useTestServer } from "@smsync/testkit";

const server = useTestServer();

type Grant = Pick<Schema.LockGrant, "fencingToken" | "heldPreviously">;
const lockMutation = typedQuery<{ lock: Grant }>(
  `mutation($key: String!, $wait: Int) { lock(idempotencyKey: $key, waitSeconds: $wait) { fencingToken heldPreviously } }`,
);

async function askLock(device: TestGraphQLClient, waitSeconds?: number) {
  const answer = await device.request(lockMutation, { key: randomUUID(), wait: waitSeconds });
  const [error] = answer.errors ?? [];
  return error
    ? { refused: error.extensions as { code: string; retryAfterSeconds: number } }
    : { granted: answer.data!.lock };
}

async function unlock(device: TestGraphQLClient, fencingToken: number): Promise<void> {
  expect(await device.unlock(fencingToken)).toBe(true);
}

/** A user with `count` devices, the first holding the lock. */
async function contendedUser(count: number) {
  const holder = await server.newUser();
  const others = await Promise.all(Array.from({ length: count - 1 }, () => server.newDevice(holder.userName)));
  const { fencingToken } = await holder.lock(60);
  const { id: userId } = await server.app.services.db.user.findUniqueOrThrow({ where: { name: holder.userName } });
  const waiting = () => server.app.services.lockLine.waiting(userId);
  const waitingInServer = () => server.app.services.lockLine.waitingInServer(userId);
  return { holder, others, fencingToken, waiting, waitingInServer };
}

describe("the fair lock", () => {
  it("refuses a device that asks again before its retry hint, even once the lock is free, without writing", async () => {
    const { holder, others, fencingToken } = await contendedUser(2);
    const [laptop] = others as [TestGraphQLClient];
    expect((await askLock(laptop)).refused).toMatchObject({ code: "LOCK_HELD", retryAfterSeconds: 1 });
    await unlock(holder, fencingToken);

    const before = await rowCounts(server.app.services.db);
    const early = await askLock(laptop);
    expect(early.refused?.code).toBe("LOCK_HELD");
    expect(early.refused?.retryAfterSeconds).toBeGreaterThan(0);
    expect(early.refused?.retryAfterSeconds).toBeLessThanOrEqual(1);
    expect(await rowCounts(server.app.services.db)).toEqual(before);

    // Until its hint runs out, every request of the device is refused before it is read.
    const heldOff = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${laptop.token}` },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(heldOff.status).toBe(429);
    expect(((await heldOff.json()) as { errors: { extensions: unknown }[] }).errors[0]!.extensions).toMatchObject({
      code: "RATE_LIMITED",
      limit: "device",
    });
    await untilServed(laptop);
    server.clock.advance(1000);
    expect((await askLock(laptop)).granted?.heldPreviously).toBe(false);
  });

  it("gives a freed lock to the device that has waited longest, not to one that asks first after the release", async () => {
    const { holder, others, fencingToken, waiting } = await contendedUser(3);
    const [first, second] = others as [TestGraphQLClient, TestGraphQLClient];
    expect((await askLock(first)).refused?.code).toBe("LOCK_HELD");
    expect((await askLock(second)).refused?.code).toBe("LOCK_HELD");
    await unlock(holder, fencingToken);
    server.clock.advance(1000);

    // second asks first after the release, but first has waited longer.
    const overtaking = await askLock(second);
    expect(overtaking.refused?.code).toBe("LOCK_HELD");
    // Nor can the device that just gave the lock back take it again.
    expect((await askLock(holder)).refused?.code).toBe("LOCK_HELD");
    expect((await askLock(first)).granted).toBeDefined();
    expect(waiting()).toBe(2);
  });

  it("lets a device that stopped asking lose its place", async () => {
    const { holder, others, fencingToken, waiting } = await contendedUser(3);
    const [gaveUp, later] = others as [TestGraphQLClient, TestGraphQLClient];
    expect((await askLock(gaveUp)).refused?.code).toBe("LOCK_HELD");
    await unlock(holder, fencingToken);
    // Well past its hint and the grace after it: gaveUp is not waiting any more.
    server.clock.advance(10_000);
    expect((await askLock(later)).granted).toBeDefined();
    expect(waiting()).toBe(0);
  });

  it("with waitSeconds, answers each waiting device in turn as the lock is released", async () => {
    const { holder, others, fencingToken, waiting, waitingInServer } = await contendedUser(3);
    const [first, second] = others as [TestGraphQLClient, TestGraphQLClient];
    const firstAnswer = askLock(first, 20);
    await until(() => waitingInServer() === 1);
    const secondAnswer = askLock(second, 20);
    await until(() => waitingInServer() === 2);

    await unlock(holder, fencingToken);
    const firstGrant = (await firstAnswer).granted!;
    expect(firstGrant.fencingToken).toBe(fencingToken + 1);
    // second still waits: the lock is first's now.
    expect(waiting()).toBe(1);

    await unlock(first, firstGrant.fencingToken);
    expect((await secondAnswer).granted?.fencingToken).toBe(fencingToken + 2);
    expect(waiting()).toBe(0);
  });

  it("lets a device wait in the server right after a refusal, and replays its key whatever it waited", async () => {
    const { holder, others, fencingToken, waitingInServer } = await contendedUser(2);
    const [laptop] = others as [TestGraphQLClient];
    expect((await askLock(laptop)).refused?.code).toBe("LOCK_HELD");
    // At once, before the hint ran out: a waiting call is not a poll, and is not held off.
    const key = randomUUID();
    const answer = laptop.request(lockMutation, { key, wait: 10 });
    await until(() => waitingInServer() === 1);
    await unlock(holder, fencingToken);
    const granted = (await answer).data!.lock;
    expect(granted.fencingToken).toBe(fencingToken + 1);
    // The same key asked again without waiting (a retry after a lost answer): the same grant.
    expect((await laptop.ok(lockMutation, { key })).lock).toEqual(granted);
  });

  it("with waitSeconds, answers LOCK_HELD when the lock stays held for that long", async () => {
    const { others } = await contendedUser(2);
    const [laptop] = others as [TestGraphQLClient];
    expect((await askLock(laptop, 1)).refused?.code).toBe("LOCK_HELD");
  });

  it("refuses a waitSeconds beyond the server's maximum", async () => {
    const { others } = await contendedUser(2);
    const [laptop] = others as [TestGraphQLClient];
    const max = server.app.services.config.lockMaxWaitSeconds;
    expect((await askLock(laptop, max + 1)).refused?.code).toBe("BAD_INPUT");
    expect((await askLock(laptop, -1)).refused?.code).toBe("BAD_INPUT");
  });
});

/** Resolves once the device's requests are served again (the hold of the rate limits is on the real clock). */
async function untilServed(device: TestGraphQLClient): Promise<void> {
  for (;;) {
    const answer = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${device.token}` },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    await answer.body?.cancel();
    if (answer.status !== 429) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Resolves once `condition` holds (the server's line is in memory: nothing to subscribe to). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
