// What waits, and for how long (docs/protocol.md, "Transfers that wait"): the
// pure rules of transferWaits.ts. The waits themselves, against a server, are
// in transferWaits.test.ts.
import { describe, expect, it } from "vitest";
import { CloudStorageError } from "../../src/cloud/CloudStorageError.ts";
import { transferWaitDelayMs, transferWaitOf, type TransferWait } from "../../src/transfers/transferWaits.ts";

describe("what waits, and for how long", () => {
  const config = { transferStorageFullPollMs: 20_000, transferBackoffBaseMs: 1000, transferBackoffCapMs: 60_000 };
  const waitOf = (error: unknown): TransferWait => transferWaitOf(error)!;

  it("names the wait: a full cloud store, a rate limit, a full disk on the server; anything else is no wait", () => {
    expect(waitOf(new CloudStorageError("storageFull", "full"))).toEqual({
      code: "CLOUD_STORAGE_FULL",
      message: "full",
    });
    expect(waitOf(new CloudStorageError("rateLimited", "slow", { retryAfterMs: 5 }))).toEqual({
      code: "CLOUD_RATE_LIMITED",
      message: "slow",
      retryAfterMs: 5,
    });
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    const stagingFull = waitOf(enospc);
    expect(stagingFull.code).toBe("STAGING_FULL");
    expect(stagingFull.message).toContain("staging area is full (ENOSPC)");
    expect(transferWaitOf(new CloudStorageError("transient", "5xx"))).toBeNull();
    expect(transferWaitOf(Object.assign(new Error("gone"), { code: "ENOENT" }))).toBeNull();
  });

  it("honours the cloud's Retry-After", () => {
    const wait = waitOf(new CloudStorageError("rateLimited", "slow down", { retryAfterMs: 7000 }));
    expect(transferWaitDelayMs(wait, 30_000, config, () => 0)).toBe(7000);
  });

  it("polls a full store or disk at a steady pace however long it has waited", () => {
    for (const wait of [
      { code: "CLOUD_STORAGE_FULL", message: "" },
      { code: "STAGING_FULL", message: "" },
    ] as const) {
      expect([0, 60_000, 3_600_000].map((waited) => transferWaitDelayMs(wait, waited, config))).toEqual([
        20_000, 20_000, 20_000,
      ]);
    }
  });

  it("waits out a rate limit as long again as it has waited, from the backoff base up to its cap", () => {
    const wait = waitOf(new CloudStorageError("rateLimited", "slow down"));
    expect(
      [0, 1000, 2000, 4000, 32_000, 600_000].map((waited) => transferWaitDelayMs(wait, waited, config, () => 1)),
    ).toEqual([1000, 1000, 2000, 4000, 32_000, 60_000]);
    expect(transferWaitDelayMs(wait, 4000, config, () => 0)).toBe(2000);
  });
});
