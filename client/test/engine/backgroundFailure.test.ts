// The public `backgroundFailure` event (client/README.md): work no call of
// the app's waits for, renewing the lease or storing the mode, fails, and
// the app is told instead of the failure vanishing. The store is made to
// fail the one commit that work makes; the test waits for that commit to be
// refused and then reads the events, so a failure swallowed shows as a
// missing event, not as a hang.
import { createServer } from "node:net";
import { expect, it } from "vitest";
import type { SyncEvents } from "../../src/engine/events.ts";
import type { ClientStore, Collection, KeyIn, StoreChange } from "../../src/store/ClientStore.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { MovableClock } from "../../src/time/MovableClock.ts";
import { fileDeletedElsewhere } from "../support/deletedElsewhere.ts";
import { useEngineHarness } from "../support/engineHarness.ts";

const harness = useEngineHarness();

/** A MemoryStore whose next commit matching `failNext` is refused; `refused` settles once it was. */
class FailingStore implements ClientStore {
  private armed: { matches: (change: StoreChange) => boolean; refused: () => void } | undefined;
  private readonly inner = new MemoryStore();

  /** Refuses the next commit that has a change matching this; resolves once it has. */
  failNext(matches: (change: StoreChange) => boolean): Promise<void> {
    return new Promise((refused) => (this.armed = { matches, refused }));
  }

  get<C extends Collection, K extends KeyIn<C>>(collection: C, key: K) {
    return this.inner.get(collection, key);
  }
  list<C extends Collection>(collection: C) {
    return this.inner.list(collection);
  }
  commit(changes: StoreChange[]): Promise<void> {
    const armed = this.armed;
    if (armed && changes.some(armed.matches)) {
      this.armed = undefined;
      armed.refused();
      return Promise.reject(new Error("the disk refused the write"));
    }
    return this.inner.commit(changes);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The backgroundFailure events a client emits. */
function backgroundFailures(client: {
  on: (event: "backgroundFailure", listener: (payload: SyncEvents["backgroundFailure"]) => void) => () => void;
}) {
  const seen: SyncEvents["backgroundFailure"][] = [];
  client.on("backgroundFailure", (event) => seen.push(event));
  return seen;
}

/** The callbacks that ran in this turn of the event loop, and the promise chains they started, have run. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

it("a lease renewal that fails is told as backgroundFailure renewLease", async () => {
  const phone = await harness.newUser();
  const laptopRaw = await harness.newDevice(phone.userName);
  const a = await harness.openClient(phone);
  const store = new FailingStore();
  const clock = new MovableClock();
  const b = await harness.openClient(laptopRaw, {
    store,
    clock,
    async beforeApplyDeletions() {
      // Under its grant, B renews at half the 60 s lease: the renewal's outbox entry is not stored.
      const refused = store.failNext(
        (change) => change.op === "put" && change.collection === "outbox" && change.value.operationName === "RenewLock",
      );
      clock.advance(31_000);
      await refused;
      await settled();
    },
  });
  const failures = backgroundFailures(b.client);
  await fileDeletedElsewhere(a, b);
  await b.client.sync();

  expect(failures).toEqual([
    { during: "renewLease", error: expect.objectContaining({ message: "the disk refused the write" }) as unknown },
  ]);
  expect(b.client.mode).toBe("idle");
});

it("a mode the store fails to keep is told as backgroundFailure storeMode", async () => {
  // A port nothing listens on: every request of the device fails on the network.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const { port } = closed.address() as { port: number };
  await new Promise((resolve) => closed.close(resolve));

  const user = await harness.newUser();
  const store = new FailingStore();
  const device = await harness.openClient(user, {
    store,
    serverUrl: `http://127.0.0.1:${port}`,
    backoff: { initialMs: 60 * 60_000, maxMs: 60 * 60_000 },
  });
  const failures = backgroundFailures(device.client);
  const modes: string[] = [];
  device.client.on("modeChanged", ({ mode }) => modes.push(mode));
  // The lock goes unanswered: the outbox tells the engine, which stores networkNotConnected on its own.
  const refused = store.failNext(
    (change) =>
      change.op === "put" &&
      change.collection === "meta" &&
      change.key === "mode" &&
      change.value === "networkNotConnected",
  );
  const sync = device.client.sync();
  await refused;
  await settled();
  expect(failures).toEqual([
    { during: "storeMode", error: expect.objectContaining({ message: "the disk refused the write" }) as unknown },
  ]);
  // The engine is in that mode all the same, and the app was told.
  expect(device.client.mode).toBe("networkNotConnected");
  expect(modes).toContain("networkNotConnected");
  await device.client.close();
  await sync; // ended by close()
});
