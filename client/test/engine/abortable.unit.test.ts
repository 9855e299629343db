// abortable.ts alone: a wait that ends with the engine's stop signal, without leaving the promise it waited for unobserved.
import { describe, expect, it, vi } from "vitest";
import { abortable } from "../../src/engine/abortable.ts";

describe("abortable", () => {
  it("settles as the promise does while the signal has not aborted", async () => {
    await expect(abortable(Promise.resolve(1), new AbortController().signal)).resolves.toBe(1);
    await expect(abortable(Promise.reject(new Error("no")), new AbortController().signal)).rejects.toThrow("no");
  });

  it("rejects with the signal's reason when it aborts first", async () => {
    const stop = new AbortController();
    const waiting = abortable(new Promise(() => undefined), stop.signal);
    stop.abort(new Error("suspended"));
    await expect(waiting).rejects.toThrow("suspended");
  });

  it("observes the rejection of a promise handed over after the abort (sim seed 18)", async () => {
    const stop = new AbortController();
    stop.abort(new Error("closed"));
    const late = Promise.reject(new Error("OUTBOX_CLOSED"));
    const observed = vi.spyOn(late, "catch");
    await expect(abortable(late, stop.signal)).rejects.toThrow("closed");
    expect(observed).toHaveBeenCalled();
  });
});
