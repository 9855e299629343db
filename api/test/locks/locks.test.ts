// The user's lock: lease, fencing token, two devices contending, expiry and
// takeover, a stale token rejected.
import { describe, expect, it } from "vitest";
import { rowCounts, type Schema, tusUpload, typedQuery, useTestServer } from "@smsync/testkit";
import { randomUUID } from "node:crypto";

const server = useTestServer();

const lockMutation = typedQuery<{ lock: Pick<Schema.LockGrant, "fencingToken" | "heldPreviously"> }>(
  `mutation($key: String!, $ttl: Int) { lock(idempotencyKey: $key, ttlSeconds: $ttl) { fencingToken heldPreviously } }`,
);
const unlockMutation = typedQuery<{ unlock: boolean }>(
  `mutation($key: String!, $t: Int!) { unlock(idempotencyKey: $key, fencingToken: $t) }`,
);

describe("lock", () => {
  it("grants the lock, and again to its holder with the same token and heldPreviously", async () => {
    const device = await server.newUser();
    const first = await device.lock();
    expect(first.heldPreviously).toBe(false);
    const again = await device.lock();
    expect(again).toMatchObject({ fencingToken: first.fencingToken, heldPreviously: true });
    expect(Date.parse(again.expiresAt)).toBeGreaterThanOrEqual(Date.parse(first.expiresAt));
  });

  it("refuses a second device with LOCK_HELD and a retry hint, then grants it after unlock with a larger token", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const held = await phone.lock(30);
    const refused = await laptop.request(lockMutation, { key: randomUUID() });
    expect(refused.errors?.[0]?.extensions?.code).toBe("LOCK_HELD");
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);

    const unlocked = await phone.ok(unlockMutation, {
      key: randomUUID(),
      t: held.fencingToken,
    });
    expect(unlocked.unlock).toBe(true);
    // The refused device comes back once its hint has run out (asking sooner is refused: lockLine.test.ts).
    server.clock.advance(1000);
    const granted = await laptop.lock();
    expect(granted.heldPreviously).toBe(false);
    expect(granted.fencingToken).toBeGreaterThan(held.fencingToken);
  });

  it("refuses from the committed lock row, writing nothing", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    await phone.lock(60);
    const before = await rowCounts(server.app.services.db);
    const refusal = async () => (await laptop.request(lockMutation, { key: randomUUID() })).errors?.[0]?.extensions;
    // The refusal is decided before any transaction: its expiry, read raw, must be the row's on either provider.
    expect(await refusal()).toMatchObject({ code: "LOCK_HELD", retryAfterSeconds: 1 });
    server.clock.advance(45_000);
    expect(await refusal()).toMatchObject({ code: "LOCK_HELD", retryAfterSeconds: 1 });
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    server.clock.advance(15_000);
    expect((await laptop.request(lockMutation, { key: randomUUID() })).errors).toBeUndefined();
  });

  it("replays a granted lock's key even once another device holds the lock", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const key = randomUUID();
    const granted = await phone.ok(lockMutation, { key, ttl: 60 });
    server.clock.advance(60_000);
    await laptop.lock();
    // The stored answer comes before the early LOCK_HELD: a retry after a lost answer gets its grant back.
    expect(await phone.ok(lockMutation, { key, ttl: 60 })).toEqual(granted);
  });

  it("lets another device take over an expired lease, and rejects the old holder's stale token", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const old = await phone.lock(60);
    server.clock.advance(60_000);
    const taken = await laptop.lock();
    expect(taken.fencingToken).toBe(old.fencingToken + 1);

    // The old holder does not know it lost the lock: every write is refused, and writes nothing.
    const before = await rowCounts(server.app.services.db);
    const renew = await phone.request(
      `mutation($key: String!, $t: Int!) { renewLock(idempotencyKey: $key, fencingToken: $t) { fencingToken } }`,
      {
        key: randomUUID(),
        t: old.fencingToken,
      },
    );
    expect(renew.errors?.[0]?.extensions?.code).toBe("STALE_FENCING_TOKEN");
    const commit = await phone.request(
      `mutation($key: String!, $t: Int!) { commit(idempotencyKey: $key, fencingToken: $t) { id } }`,
      {
        key: randomUUID(),
        t: old.fencingToken,
      },
    );
    expect(commit.errors?.[0]?.extensions?.code).toBe("STALE_FENCING_TOKEN");
    await expect(
      tusUpload(server.url, phone.token!, { version: 0, content: Buffer.from("late"), fencingToken: old.fencingToken }),
    ).rejects.toThrow(/STALE_FENCING_TOKEN/);
    // Asking for the lock again is refused too: the laptop holds it.
    expect((await phone.request(lockMutation, { key: randomUUID() })).errors?.[0]?.extensions?.code).toBe("LOCK_HELD");
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });

  it("keeps the same token for a holder whose lease ran out when nobody took the lock", async () => {
    const device = await server.newUser();
    const first = await device.lock(60);
    server.clock.advance(60_000);
    const again = await device.lock();
    expect(again).toMatchObject({ fencingToken: first.fencingToken, heldPreviously: true });
  });

  it("discards what an expired holder staged when another device takes the lock over", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const old = await phone.lock(60);
    const fileUUID = randomUUID();
    await tusUpload(server.url, phone.token!, {
      fileUUID,
      version: 0,
      content: Buffer.from("staged"),
      fencingToken: old.fencingToken,
    });
    server.clock.advance(60_000);
    const taken = await laptop.lock();
    // The laptop can stage the same (fileUUID, version) without meeting the old upload.
    await tusUpload(server.url, laptop.token!, {
      fileUUID,
      version: 0,
      content: Buffer.from("newer"),
      fencingToken: taken.fencingToken,
    });
    const op = await laptop.waitForOperation((await laptop.commit(taken.fencingToken)).id);
    expect(op.state).toBe("SUCCEEDED");
    expect(op.files).toHaveLength(1);
    const uploads = await server.app.services.db.stagedUpload.count({ where: { fileUUID } });
    expect(uploads).toBe(0);
  });

  it("renews a lease with renewLock and rejects a ttl beyond the maximum", async () => {
    const device = await server.newUser();
    const grant = await device.lock(5);
    const renewed = await device.ok<{ renewLock: Pick<Schema.LockGrant, "fencingToken" | "expiresAt"> }>(
      `mutation($key: String!, $t: Int!) { renewLock(idempotencyKey: $key, fencingToken: $t, ttlSeconds: 120) { fencingToken expiresAt } }`,
      { key: randomUUID(), t: grant.fencingToken },
    );
    expect(renewed.renewLock.fencingToken).toBe(grant.fencingToken);
    expect(Date.parse(renewed.renewLock.expiresAt)).toBeGreaterThan(Date.parse(grant.expiresAt));
    const before = await rowCounts(server.app.services.db);
    const tooLong = await device.request(lockMutation, { key: randomUUID(), ttl: server.config.lockMaxTtlSeconds + 1 });
    expect(tooLong.errors?.[0]?.extensions?.code).toBe("BAD_INPUT");
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });

  it("answers unlock by a device that does not hold the lock with false, changing nothing", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const held = await phone.lock();
    const result = await laptop.ok(unlockMutation, {
      key: randomUUID(),
      t: held.fencingToken,
    });
    expect(result.unlock).toBe(false);
    expect((await phone.lock()).heldPreviously).toBe(true);
  });

  it("serializes concurrent lock calls of two devices: exactly one wins", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const results = await Promise.all(
      [phone, laptop, phone, laptop].map((device) => device.request(lockMutation, { key: randomUUID() })),
    );
    const winners = new Set(results.flatMap((r) => (r.data?.lock ? [r.data.lock.fencingToken] : [])));
    expect(winners.size).toBe(1);
    const losers = results.filter((r) => r.errors);
    expect(losers.length).toBeGreaterThan(0);
    for (const loser of losers) expect(loser.errors?.[0]?.extensions?.code).toBe("LOCK_HELD");
  });
});
