// lease.ts alone, on a MovableClock: renewals at half the time left, until stopped or refused.
import { describe, expect, it } from "vitest";
import { Lease, type LeaseHost } from "../../src/engine/lease.ts";
import { MovableClock } from "../../src/time/MovableClock.ts";

function host(
  clock: MovableClock,
  answer: () => { expiresAt: string } | null,
): LeaseHost & { renewals: number[]; answered: Promise<void>[] } {
  const renewals: number[] = [];
  const answered: Promise<void>[] = [];
  return {
    closed: false,
    clock,
    renewals,
    answered,
    outbox: { takeResult: () => Promise.resolve(undefined) },
    emit: () => undefined,
    send: ((_document: unknown, variables: { fencingToken: number }) => {
      renewals.push(variables.fencingToken);
      const expiry = answer();
      const result = Promise.resolve(expiry ? { data: { renewLock: expiry } } : { error: new Error("refused") });
      answered.push(result.then(() => undefined));
      return result;
    }) as unknown as LeaseHost["send"],
  };
}

describe("Lease", () => {
  it("renews at half the time left, again with each new expiry, until stopped", async () => {
    const clock = new MovableClock();
    const inMs = (ms: number) => new Date(clock.now() + ms).toISOString();
    const h = host(clock, () => ({ expiresAt: inMs(10_000) }));
    const lease = new Lease(h);
    const first = clock.nextTimer("leaseRenewal");
    lease.start(7, inMs(10_000));
    expect((await first).ms).toBeCloseTo(5_000, -2);
    clock.advance(4_900);
    expect(h.renewals).toEqual([]);
    const second = clock.nextTimer("leaseRenewal");
    clock.advance(200);
    expect(h.renewals).toEqual([7]);
    // The renewal's answer (10 s from now) sets the next one, 5 s on.
    expect((await second).ms).toBeCloseTo(5_000, -2);
    const third = clock.nextTimer("leaseRenewal");
    clock.advance(5_000);
    expect(h.renewals).toEqual([7, 7]);
    await third;
    lease.stop();
    expect(clock.pending).toEqual([]);
    clock.advance(60_000);
    expect(h.renewals).toEqual([7, 7]);
  });

  it("stops renewing once a renewal is refused", async () => {
    const clock = new MovableClock();
    const h = host(clock, () => null);
    new Lease(h).start(3, new Date(clock.now() + 1_000).toISOString());
    clock.advance(600);
    expect(h.renewals).toEqual([3]);
    await Promise.all(h.answered);
    await new Promise((resolve) => setImmediate(resolve)); // the refusal is handled
    expect(clock.pending).toEqual([]);
    clock.advance(60_000);
    expect(h.renewals).toEqual([3]);
  });
});
