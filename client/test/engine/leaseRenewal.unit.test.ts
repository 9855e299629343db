// lease.ts alone, with fake timers: renewals at half the time left, until stopped or refused.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Lease, type LeaseHost } from "../../src/engine/lease.ts";

function host(answer: () => { expiresAt: string } | null): LeaseHost & { renewals: number[] } {
  const renewals: number[] = [];
  return {
    closed: false,
    renewals,
    outbox: { takeResult: () => Promise.resolve(undefined) },
    emit: () => undefined,
    send: ((_document: unknown, variables: { fencingToken: number }) => {
      renewals.push(variables.fencingToken);
      const expiry = answer();
      return Promise.resolve(expiry ? { data: { renewLock: expiry } } : { error: new Error("refused") });
    }) as unknown as LeaseHost["send"],
  };
}

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

describe("Lease", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("renews at half the time left, again with each new expiry, until stopped", async () => {
    const h = host(() => ({ expiresAt: inMs(10_000) }));
    const lease = new Lease(h);
    lease.start(7, inMs(10_000));
    await vi.advanceTimersByTimeAsync(4_900);
    expect(h.renewals).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(h.renewals).toEqual([7]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.renewals).toEqual([7, 7]);
    lease.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.renewals).toEqual([7, 7]);
  });

  it("stops renewing once a renewal is refused", async () => {
    const h = host(() => null);
    new Lease(h).start(3, inMs(1_000));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.renewals).toEqual([3]);
  });
});
