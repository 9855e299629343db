// The contract every ClientStore passes (memory, SQLite, IndexedDB): what
// the sync engine may rely on, whatever the platform.
import { afterEach, assert, describe, expect, it } from "vitest";
import {
  collections,
  sequenceKey,
  StoreRecordError,
  type ClientStore,
  type Collection,
  type MetaKey,
  type RecordCollection,
  type StoreChange,
} from "../../src/store/ClientStore.ts";
import {
  sampleFile,
  sampleOutboxEntry,
  sampleOutboxResult,
  samplePut,
  sampleRecord,
} from "../support/sampleRecords.ts";

export interface OpenedStore {
  store: ClientStore;
  /** For a persistent store: opens the same data again (called after `store.close()`). */
  reopen?: () => Promise<ClientStore>;
  /** For a persistent store: writes JSON text as it is, past every check, as a corrupted disk or another program would. */
  writeRaw?: (collection: string, key: string, json: string) => Promise<void>;
}

type Snapshot = Partial<Record<Collection, { key: string; value: unknown }[]>>;

/** Every non-empty collection with its entries, as `list` gives them. */
async function snapshot(store: ClientStore): Promise<Snapshot> {
  const result: Snapshot = {};
  for (const collection of collections) {
    const entries = await store.list(collection);
    if (entries.length > 0) result[collection] = entries;
  }
  return result;
}

/** A put of sample record `n` of the collection (in "meta": nextBatch = n). */
const put = (collection: Collection, key: string, n: number): StoreChange => samplePut(collection, key, n);
/** A put past the type checks, for changes the store must refuse. */
const putRaw = (collection: string, key: unknown, value: unknown) =>
  ({ op: "put", collection, key, value }) as StoreChange;
const del = (collection: RecordCollection, key: string): StoreChange => ({ op: "delete", collection, key });
const clear = (collection: Collection): StoreChange => ({ op: "clear", collection });
/** The entry `put(collection, key, n)` makes, as `list` gives it. */
const entry = (collection: Collection, key: string, n: number) => ({
  key: collection === "meta" ? "nextBatch" : key,
  value: sampleRecord(collection, n),
});
const keyIn = (collection: Collection, key: string) => (collection === "meta" ? "nextBatch" : key);

/** Fisher-Yates with a fixed seed: the insertion order is scrambled, and the same on every run. */
function scrambled<T>(items: readonly T[]): T[] {
  const result = [...items];
  let seed = 12345;
  for (let i = result.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    // 0 <= j <= i < length: both are items.
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}

export function clientStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`${name} (client store contract)`, () => {
    const opened: ClientStore[] = [];

    async function openStore(): Promise<OpenedStore> {
      const result = await open();
      opened.push(result.store);
      const reopen = result.reopen;
      if (!reopen) return { store: result.store, writeRaw: result.writeRaw };
      return {
        store: result.store,
        writeRaw: result.writeRaw,
        reopen: async () => {
          const again = await reopen();
          opened.push(again);
          return again;
        },
      };
    }

    afterEach(async () => {
      // Closing twice is allowed; a store closed by its test is closed again here.
      for (const store of opened.splice(0)) await store.close().catch(() => {});
    });

    it("gets nothing from an empty store", async () => {
      const { store } = await openStore();
      expect(await store.get("files", "a")).toBeUndefined();
      expect(await snapshot(store)).toEqual({});
    });

    it("puts, replaces and deletes a value", async () => {
      const { store } = await openStore();
      await store.commit([put("files", "a", 1)]);
      expect(await store.get("files", "a")).toEqual(sampleFile(1));
      await store.commit([put("files", "a", 2)]);
      expect(await store.get("files", "a")).toEqual(sampleFile(2));
      expect(await store.list("files")).toEqual([{ key: "a", value: sampleFile(2) }]);
      await store.commit([del("files", "a")]);
      expect(await store.get("files", "a")).toBeUndefined();
      expect(await snapshot(store)).toEqual({});
    });

    it("stores null, false, 0 and the empty string as values, distinct from a missing key", async () => {
      const { store } = await openStore();
      const answer = (key: string, data: unknown): StoreChange => ({
        op: "put",
        collection: "outboxResults",
        key,
        value: sampleOutboxResult(data),
      });
      await store.commit([answer("null", null), answer("false", false), answer("zero", 0), answer("empty", "")]);
      expect((await store.get("outboxResults", "null"))?.data).toBeNull();
      expect((await store.get("outboxResults", "false"))?.data).toBe(false);
      expect((await store.get("outboxResults", "zero"))?.data).toBe(0);
      expect((await store.get("outboxResults", "empty"))?.data).toBe("");
      expect(await store.get("outboxResults", "missing")).toBeUndefined();
      expect((await store.list("outboxResults")).map(({ key, value }) => [key, value.data])).toEqual([
        ["empty", ""],
        ["false", false],
        ["null", null],
        ["zero", 0],
      ]);
      await store.commit([{ op: "put", collection: "meta", key: "nextBatch", value: 0 }]);
      expect(await store.get("meta", "nextBatch")).toBe(0);
    });

    it("deletes a missing key and clears an empty collection without complaint", async () => {
      const { store } = await openStore();
      await store.commit([put("files", "kept", 1)]);
      await store.commit([del("files", "missing"), clear("outbox")]);
      expect(await snapshot(store)).toEqual({ files: [entry("files", "kept", 1)] });
    });

    it("clears one collection, leaving the others", async () => {
      const { store } = await openStore();
      await store.commit([put("outbox", "1", 1), put("outbox", "2", 2), put("outboxResults", "1", 3)]);
      await store.commit([clear("outbox")]);
      expect(await store.list("outbox")).toEqual([]);
      expect(await store.get("outbox", "1")).toBeUndefined();
      expect(await snapshot(store)).toEqual({ outboxResults: [entry("outboxResults", "1", 3)] });
      await store.commit([put("outbox", "3", 3)]);
      expect(await store.list("outbox")).toEqual([entry("outbox", "3", 3)]);
    });

    it("keeps collections independent: the same key in each holds its own value", async () => {
      const { store } = await openStore();
      await store.commit(collections.map((collection, n) => put(collection, "same", n)));
      for (const [n, collection] of collections.entries()) {
        expect(await store.get(collection, keyIn(collection, "same") as never)).toEqual(sampleRecord(collection, n));
      }
      await store.commit([del("files", "same"), clear("beingUploaded")]);
      const expected: Snapshot = {};
      collections.forEach((collection, n) => {
        if (collection !== "files" && collection !== "beingUploaded")
          expected[collection] = [entry(collection, "same", n)];
      });
      expect(await snapshot(store)).toEqual(expected);
    });

    it("lists sequence keys in numeric order", async () => {
      const { store } = await openStore();
      const numbers = [
        0,
        1,
        2,
        9,
        10,
        11,
        99,
        100,
        101,
        999,
        1000,
        65535,
        2 ** 32,
        2 ** 40 + 7,
        Number.MAX_SAFE_INTEGER,
      ];
      await store.commit(scrambled(numbers).map((n) => put("outbox", sequenceKey(n), n)));
      const listed = await store.list("outbox");
      expect(listed.map((entry) => entry.value)).toEqual(numbers.map(sampleOutboxEntry));
      expect(listed.map((entry) => entry.key)).toEqual(numbers.map(sequenceKey));
    });

    it("lists keys in JavaScript string order, whatever their characters", async () => {
      const { store } = await openStore();
      // In the order JavaScript sorts them (UTF-16 code units): the
      // characters above U+FFFF (surrogate pairs, 0xD800...) come before
      // U+E000–U+FFFF, although their UTF-8 bytes (0xF0...) come after.
      // U+FFFE and U+FFFF are noncharacters that SQLite's UTF-16 conversion
      // would turn into U+FFFD (one key for three).
      const keys = [
        "",
        "\u0000",
        "0",
        "9",
        "A",
        "Z",
        "a",
        "a\u0000",
        "a\u0000b",
        "aa",
        "b",
        "z",
        "\u007f",
        "\u0080",
        "é",
        "ö",
        "ÿ",
        "Ā",
        "中",
        "\u{10000}",
        "\u{1F600}",
        "\u{1F600}a",
        "\u{10FFFF}",
        "\uE000",
        "\uFB01",
        "\uFFFD",
        "\uFFFE",
        "\uFFFF",
        "x".repeat(2000),
      ].sort();
      expect(keys.indexOf("\u{1F600}")).toBeLessThan(keys.indexOf("\uE000"));
      await store.commit(scrambled(keys).map((key, index) => put("files", key, index)));
      expect((await store.list("files")).map((entry) => entry.key)).toEqual(keys);
      for (const key of keys) expect(await store.get("files", key)).not.toBeUndefined();
      expect(await store.get("files", "\u{1F600}b")).toBeUndefined();
    });

    it("gives values JSON semantics, in get and in list", async () => {
      const { store } = await openStore();
      class Point {
        constructor(
          readonly x: number,
          readonly y: number,
        ) {}
        get sum(): number {
          return this.x + this.y;
        }
      }
      const value = {
        date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
        undefinedProperty: undefined,
        functionProperty: () => 1,
        notANumber: NaN,
        infinity: -Infinity,
        negativeZero: -0,
        array: [undefined, () => 1, Symbol("s"), 1, null],
        map: new Map([["a", 1]]),
        set: new Set([1]),
        point: new Point(1, 2),
        custom: { toJSON: () => "custom" },
        text: 'é中\u{1F600}\uE000\uFFFE\uFFFF\n\t"\\\u0000',
        loneSurrogate: "\uD800",
        large: 1e300,
        small: 5e-324,
        safe: Number.MAX_SAFE_INTEGER,
        nested: { a: [{ b: [[]] }], "": {} },
      };
      const expected = {
        date: "2026-01-02T03:04:05.006Z",
        notANumber: null,
        infinity: null,
        negativeZero: 0,
        array: [null, null, null, 1, null],
        map: {},
        set: {},
        point: { x: 1, y: 2 },
        custom: "custom",
        text: 'é中\u{1F600}\uE000\uFFFE\uFFFF\n\t"\\\u0000',
        loneSurrogate: "\uD800",
        large: 1e300,
        small: 5e-324,
        safe: Number.MAX_SAFE_INTEGER,
        nested: { a: [{ b: [[]] }], "": {} },
      };
      await store.commit([{ op: "put", collection: "outboxResults", key: "v", value: sampleOutboxResult(value) }]);
      const got = (await store.get("outboxResults", "v"))?.data as Record<string, unknown>;
      expect(got).toStrictEqual(expected);
      expect(Object.is(got.negativeZero, 0)).toBe(true);
      expect(Object.keys(got)).toEqual(Object.keys(expected));
      expect((await store.list("outboxResults")).map((entry) => entry.value.data)).toStrictEqual([expected]);
    });

    it("copies values in and out", async () => {
      const { store } = await openStore();
      type Value = { list: number[]; inner: { n: number } };
      const value: Value = { list: [1], inner: { n: 1 } };
      await store.commit([{ op: "put", collection: "outboxResults", key: "a", value: sampleOutboxResult(value) }]);
      value.list.push(2);
      value.inner.n = 2;
      const data = async () => (await store.get("outboxResults", "a"))?.data as Value;
      const got = await data();
      expect(got).toEqual({ list: [1], inner: { n: 1 } });
      got.list.push(3);
      const [listed] = await store.list("outboxResults");
      assert.exists(listed);
      (listed.value.data as Value).inner.n = 3;
      expect(await data()).toEqual({ list: [1], inner: { n: 1 } });
      expect((await store.list("outboxResults")).map((entry) => entry.value.data)).toEqual([
        { list: [1], inner: { n: 1 } },
      ]);
    });

    it("refuses a value that is not JSON with a TypeError, storing nothing", async () => {
      const { store } = await openStore();
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      const notJson: [string, unknown][] = [
        ["undefined", undefined],
        ["a function", () => 1],
        ["a symbol", Symbol("s")],
        ["a BigInt", 1n],
        ["a BigInt inside", { size: 1n }],
        ["a cycle", cycle],
      ];
      for (const [what, value] of notJson) {
        await expect(store.commit([putRaw("outboxResults", "a", value)]), what).rejects.toThrow(TypeError);
      }
      expect(await store.get("outboxResults", "a")).toBeUndefined();
      expect(await snapshot(store)).toEqual({});
    });

    it("refuses a value that is not of its collection's type with a StoreRecordError naming collection, key and why, storing nothing", async () => {
      const { store } = await openStore();
      const { version: _version, ...withoutVersion } = sampleFile(1);
      const wrong: [string, StoreChange, RegExp][] = [
        ["a field missing", putRaw("files", "a", withoutVersion), /"a" in files .*version/],
        ["a field of another type", putRaw("files", "a", { ...sampleFile(1), deleted: "no" }), /deleted/],
        ["a number for a record", putRaw("outbox", "b", 1), /"b" in outbox/],
        ["a meta value of another type", putRaw("meta", "nextBatch", "one"), /"nextBatch" in meta/],
        ["a mode that does not exist", putRaw("meta", "mode", "dancing"), /"mode" in meta/],
      ];
      for (const [what, change, message] of wrong) {
        const committing = store.commit([put("files", "kept", 1), change]);
        await expect(committing, what).rejects.toThrow(StoreRecordError);
        await expect(committing, what).rejects.toThrow(message);
        await expect(committing, what).rejects.toMatchObject({
          code: "STORE_RECORD",
          collection: change.collection,
          key: (change as { key: string }).key,
        });
      }
      expect(await snapshot(store)).toEqual({});
    });

    it("refuses a stored record that is not of its collection's type when read, naming collection, key and why (persistent stores)", async (context) => {
      const { store, writeRaw } = await openStore();
      if (!writeRaw) return context.skip();
      await store.commit([put("files", "good", 1)]);
      await writeRaw("files", "bad", JSON.stringify({ ...sampleFile(2), version: "two" }));
      const reading = store.get("files", "bad");
      await expect(reading).rejects.toThrow(StoreRecordError);
      await expect(reading).rejects.toMatchObject({ code: "STORE_RECORD", collection: "files", key: "bad" });
      await expect(reading).rejects.toThrow(/"bad" in files is not valid: version: /);
      await expect(store.list("files")).rejects.toThrow(StoreRecordError);
      expect(await store.get("files", "good")).toEqual(sampleFile(1));

      await writeRaw("outbox", "cut", '{"sequence":1,"idempo');
      await expect(store.get("outbox", "cut")).rejects.toThrow(/"cut" in outbox is not valid: not JSON/);
      await writeRaw("meta", "surprise", "1");
      await expect(store.list("meta")).rejects.toThrow(/"surprise" in meta is not valid: no such meta key/);
    });

    it("leaves everything unchanged when one change of a commit is refused", async () => {
      const { store } = await openStore();
      await store.commit([
        put("files", "a", 1),
        put("files", "b", 1),
        put("outbox", sequenceKey(1), 1),
        { op: "put", collection: "meta", key: "mode", value: "idle" },
      ]);
      const before = await snapshot(store);
      const valid: StoreChange[] = [
        put("files", "a", 2),
        del("files", "b"),
        put("files", "c", 1),
        clear("outbox"),
        { op: "put", collection: "meta", key: "mode", value: "synchronizing" },
        put("beingUploaded", "c", 1),
      ];
      const refused: [string, StoreChange, new (...args: never[]) => Error][] = [
        ["a BigInt value", putRaw("tusUploads", "x", { offset: 10n }), TypeError],
        ["an undefined value", putRaw("tusUploads", "x", undefined), TypeError],
        ["an unknown collection", putRaw("nope", "x", 1), TypeError],
        ["a clear of an unknown collection", clear("nope" as Collection), TypeError],
        ["a key with a lone surrogate", put("tusUploads", "\uDC00x", 1), TypeError],
        ["a delete of a key with a lone surrogate", del("files", "a\uD800"), TypeError],
        ["a key that is not a string", putRaw("tusUploads", 1, sampleRecord("tusUploads", 1)), TypeError],
        ["an unknown meta key", putRaw("meta", "nope", 1), TypeError],
        ["a delete of an unknown meta key", { op: "delete", collection: "meta", key: "nope" as MetaKey }, TypeError],
        ["an unknown operation", { op: "merge", collection: "files", key: "a" } as unknown as StoreChange, TypeError],
        ["a record not of its collection's type", putRaw("tusUploads", "x", sampleFile(1)), StoreRecordError],
      ];
      for (const [what, change, refusal] of refused) {
        // The refused change last, after every kind of valid one; and first.
        await expect(store.commit([...valid, change]), what).rejects.toThrow(refusal);
        await expect(store.commit([change, ...valid]), what).rejects.toThrow(refusal);
        expect(await snapshot(store), what).toEqual(before);
      }
      await store.commit(valid);
      expect(await snapshot(store)).not.toEqual(before);
    });

    it("refuses reads of an unknown collection or of an ill-formed key", async () => {
      const { store } = await openStore();
      await expect(store.get("nope" as Collection, "a")).rejects.toThrow(TypeError);
      await expect(store.list("nope" as Collection)).rejects.toThrow(TypeError);
      await expect(store.get("files", "\uD800")).rejects.toThrow(TypeError);
      await expect(store.get("meta", "nope" as MetaKey)).rejects.toThrow(/unknown meta key/);
    });

    it("applies the changes of a commit in order", async () => {
      const { store } = await openStore();
      await store.commit([put("files", "putThenDelete", 1), del("files", "putThenDelete")]);
      await store.commit([del("files", "deleteThenPut"), put("files", "deleteThenPut", 1)]);
      await store.commit([put("files", "putTwice", 1), put("files", "putTwice", 2)]);
      await store.commit([put("outbox", "before", 1), clear("outbox"), put("outbox", "after", 2)]);
      expect(await snapshot(store)).toEqual({
        files: [entry("files", "deleteThenPut", 1), entry("files", "putTwice", 2)],
        outbox: [entry("outbox", "after", 2)],
      });
    });

    it("does nothing for an empty commit", async () => {
      const { store } = await openStore();
      await store.commit([put("meta", "nextBatch", 1)]);
      await store.commit([]);
      expect(await snapshot(store)).toEqual({ meta: [entry("meta", "nextBatch", 1)] });
    });

    it("applies commits in the order they are called, and a read started after a commit sees it", async () => {
      const { store } = await openStore();
      const first = store.commit([put("meta", "nextBatch", 1), put("files", "a", 1)]);
      const second = store.commit([put("meta", "nextBatch", 2)]);
      const third = store.commit([del("files", "a"), put("files", "b", 3)]);
      const read = store.get("meta", "nextBatch");
      const listed = store.list("files");
      await Promise.all([first, second, third]);
      expect(await read).toBe(2);
      expect(await listed).toEqual([entry("files", "b", 3)]);
    });

    it("commits and lists a large batch", async () => {
      const { store } = await openStore();
      const count = 2000;
      const payload = "p".repeat(1000);
      const numbers = Array.from({ length: count }, (_, i) => i);
      await store.commit(
        scrambled(numbers).map((n): StoreChange => ({
          op: "put",
          collection: "files",
          key: sequenceKey(n),
          value: sampleFile(n, payload),
        })),
      );
      const listed = await store.list("files");
      expect(listed.length).toBe(count);
      expect(listed.map((entry) => entry.value.version)).toEqual(numbers);
      expect(listed.every((entry) => entry.value.appMetaData === payload)).toBe(true);
    });

    it("keeps its data across close and reopen (persistent stores)", async (context) => {
      const { store, reopen } = await openStore();
      if (!reopen) return context.skip();
      await store.commit([
        { op: "put", collection: "meta", key: "mode", value: "idle" },
        put("files", "a", 3),
        put("files", "gone", 1),
        put("outbox", sequenceKey(2), 2),
        put("outbox", sequenceKey(10), 10),
        put("tusUploads", "f", 1),
      ]);
      await store.commit([del("files", "gone"), clear("tusUploads"), put("files", "\u{1F600}", 4)]);
      const before = await snapshot(store);
      await store.close();

      const again = await reopen();
      expect(await snapshot(again)).toEqual(before);
      expect(await again.get("files", "a")).toEqual(sampleFile(3));
      expect(await again.get("files", "gone")).toBeUndefined();
      await again.commit([
        { op: "put", collection: "meta", key: "mode", value: "synchronizing" },
        del("outbox", sequenceKey(2)),
      ]);
      await again.close();

      const third = await reopen();
      expect(await third.get("meta", "mode")).toBe("synchronizing");
      expect(await third.list("outbox")).toEqual([entry("outbox", sequenceKey(10), 10)]);
    });
  });
}
