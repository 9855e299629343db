// The contract every ClientStore passes (memory, SQLite, IndexedDB): what
// the sync engine may rely on, whatever the platform.
import { afterEach, describe, expect, it } from "vitest";
import { collections, sequenceKey, type ClientStore, type Collection, type StoreChange } from "../../src/store/ClientStore.ts";

export interface OpenedStore {
  store: ClientStore;
  /** For a persistent store: opens the same data again (called after `store.close()`). */
  reopen?: () => Promise<ClientStore>;
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

const put = (collection: Collection, key: string, value: unknown): StoreChange => ({ op: "put", collection, key, value });
const del = (collection: Collection, key: string): StoreChange => ({ op: "delete", collection, key });
const clear = (collection: Collection): StoreChange => ({ op: "clear", collection });

/** Fisher-Yates with a fixed seed: the insertion order is scrambled, and the same on every run. */
function scrambled<T>(items: readonly T[]): T[] {
  const result = [...items];
  let seed = 12345;
  for (let i = result.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [result[i], result[j]] = [result[j], result[i]];
  }
  return result;
}

export function clientStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`${name} (client store contract)`, () => {
    const opened: ClientStore[] = [];

    async function openStore(): Promise<{ store: ClientStore; reopen?: () => Promise<ClientStore> }> {
      const result = await open();
      opened.push(result.store);
      const reopen = result.reopen;
      if (!reopen) return { store: result.store };
      return {
        store: result.store,
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
      await store.commit([put("files", "a", { version: 1 })]);
      expect(await store.get("files", "a")).toEqual({ version: 1 });
      await store.commit([put("files", "a", { version: 2 })]);
      expect(await store.get("files", "a")).toEqual({ version: 2 });
      expect(await store.list("files")).toEqual([{ key: "a", value: { version: 2 } }]);
      await store.commit([del("files", "a")]);
      expect(await store.get("files", "a")).toBeUndefined();
      expect(await snapshot(store)).toEqual({});
    });

    it("stores null, false, 0 and the empty string as values, distinct from a missing key", async () => {
      const { store } = await openStore();
      await store.commit([put("meta", "null", null), put("meta", "false", false), put("meta", "zero", 0), put("meta", "empty", "")]);
      expect(await store.get("meta", "null")).toBeNull();
      expect(await store.get("meta", "false")).toBe(false);
      expect(await store.get("meta", "zero")).toBe(0);
      expect(await store.get("meta", "empty")).toBe("");
      expect(await store.list("meta")).toEqual([
        { key: "empty", value: "" },
        { key: "false", value: false },
        { key: "null", value: null },
        { key: "zero", value: 0 },
      ]);
    });

    it("deletes a missing key and clears an empty collection without complaint", async () => {
      const { store } = await openStore();
      await store.commit([put("files", "kept", 1)]);
      await store.commit([del("files", "missing"), clear("outbox")]);
      expect(await snapshot(store)).toEqual({ files: [{ key: "kept", value: 1 }] });
    });

    it("clears one collection, leaving the others", async () => {
      const { store } = await openStore();
      await store.commit([put("outbox", "1", "a"), put("outbox", "2", "b"), put("outboxResults", "1", "r")]);
      await store.commit([clear("outbox")]);
      expect(await store.list("outbox")).toEqual([]);
      expect(await store.get("outbox", "1")).toBeUndefined();
      expect(await snapshot(store)).toEqual({ outboxResults: [{ key: "1", value: "r" }] });
      await store.commit([put("outbox", "3", "c")]);
      expect(await store.list("outbox")).toEqual([{ key: "3", value: "c" }]);
    });

    it("keeps collections independent: the same key in each holds its own value", async () => {
      const { store } = await openStore();
      await store.commit(collections.map((collection) => put(collection, "same", collection)));
      for (const collection of collections) expect(await store.get(collection, "same")).toBe(collection);
      await store.commit([del("files", "same"), clear("beingUploaded")]);
      const expected: Snapshot = {};
      for (const collection of collections) {
        if (collection !== "files" && collection !== "beingUploaded") expected[collection] = [{ key: "same", value: collection }];
      }
      expect(await snapshot(store)).toEqual(expected);
    });

    it("lists sequence keys in numeric order", async () => {
      const { store } = await openStore();
      const numbers = [0, 1, 2, 9, 10, 11, 99, 100, 101, 999, 1000, 65535, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
      await store.commit(scrambled(numbers).map((n) => put("outbox", sequenceKey(n), n)));
      const listed = await store.list<number>("outbox");
      expect(listed.map((entry) => entry.value)).toEqual(numbers);
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
        text: "é中\u{1F600}\uE000\uFFFE\uFFFF\n\t\"\\\u0000",
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
        text: "é中\u{1F600}\uE000\uFFFE\uFFFF\n\t\"\\\u0000",
        loneSurrogate: "\uD800",
        large: 1e300,
        small: 5e-324,
        safe: Number.MAX_SAFE_INTEGER,
        nested: { a: [{ b: [[]] }], "": {} },
      };
      await store.commit([put("files", "v", value), put("meta", "date", new Date(0))]);
      const got = await store.get<Record<string, unknown>>("files", "v");
      expect(got).toStrictEqual(expected);
      expect(Object.is(got!.negativeZero, 0)).toBe(true);
      expect(Object.keys(got!)).toEqual(Object.keys(expected));
      expect(await store.list("files")).toStrictEqual([{ key: "v", value: expected }]);
      expect(await store.get("meta", "date")).toBe("1970-01-01T00:00:00.000Z");
    });

    it("copies values in and out", async () => {
      const { store } = await openStore();
      const value = { list: [1], inner: { n: 1 } };
      await store.commit([put("files", "a", value)]);
      value.list.push(2);
      value.inner.n = 2;
      const got = await store.get<typeof value>("files", "a");
      expect(got).toEqual({ list: [1], inner: { n: 1 } });
      got!.list.push(3);
      const [listed] = await store.list<typeof value>("files");
      listed.value.inner.n = 3;
      expect(await store.get("files", "a")).toEqual({ list: [1], inner: { n: 1 } });
      expect(await store.list("files")).toEqual([{ key: "a", value: { list: [1], inner: { n: 1 } } }]);
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
        await expect(store.commit([put("files", "a", value)]), what).rejects.toThrow(TypeError);
      }
      expect(await store.get("files", "a")).toBeUndefined();
      expect(await snapshot(store)).toEqual({});
    });

    it("leaves everything unchanged when one change of a commit is refused", async () => {
      const { store } = await openStore();
      await store.commit([
        put("files", "a", { version: 1 }),
        put("files", "b", { version: 1 }),
        put("outbox", sequenceKey(1), "first"),
        put("meta", "mode", "idle"),
      ]);
      const before = await snapshot(store);
      const valid: StoreChange[] = [
        put("files", "a", { version: 2 }),
        del("files", "b"),
        put("files", "c", { version: 1 }),
        clear("outbox"),
        put("meta", "mode", "synchronizing"),
        put("beingUploaded", "c", {}),
      ];
      const refused: [string, StoreChange][] = [
        ["a BigInt value", put("tusUploads", "x", { offset: 10n })],
        ["an undefined value", put("tusUploads", "x", undefined)],
        ["an unknown collection", put("nope" as Collection, "x", 1)],
        ["a clear of an unknown collection", clear("nope" as Collection)],
        ["a key with a lone surrogate", put("tusUploads", "\uDC00x", 1)],
        ["a delete of a key with a lone surrogate", del("files", "a\uD800")],
        ["a key that is not a string", put("tusUploads", 1 as unknown as string, 1)],
        ["an unknown operation", { op: "merge", collection: "files", key: "a" } as unknown as StoreChange],
      ];
      for (const [what, change] of refused) {
        // The refused change last, after every kind of valid one; and first.
        await expect(store.commit([...valid, change]), what).rejects.toThrow(TypeError);
        await expect(store.commit([change, ...valid]), what).rejects.toThrow(TypeError);
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
    });

    it("applies the changes of a commit in order", async () => {
      const { store } = await openStore();
      await store.commit([put("files", "putThenDelete", 1), del("files", "putThenDelete")]);
      await store.commit([del("files", "deleteThenPut"), put("files", "deleteThenPut", 1)]);
      await store.commit([put("files", "putTwice", 1), put("files", "putTwice", 2)]);
      await store.commit([put("outbox", "before", 1), clear("outbox"), put("outbox", "after", 2)]);
      expect(await snapshot(store)).toEqual({
        files: [
          { key: "deleteThenPut", value: 1 },
          { key: "putTwice", value: 2 },
        ],
        outbox: [{ key: "after", value: 2 }],
      });
    });

    it("does nothing for an empty commit", async () => {
      const { store } = await openStore();
      await store.commit([put("meta", "a", 1)]);
      await store.commit([]);
      expect(await snapshot(store)).toEqual({ meta: [{ key: "a", value: 1 }] });
    });

    it("applies commits in the order they are called, and a read started after a commit sees it", async () => {
      const { store } = await openStore();
      const first = store.commit([put("meta", "n", 1), put("files", "a", 1)]);
      const second = store.commit([put("meta", "n", 2)]);
      const third = store.commit([del("files", "a"), put("files", "b", 3)]);
      const read = store.get("meta", "n");
      const listed = store.list("files");
      await Promise.all([first, second, third]);
      expect(await read).toBe(2);
      expect(await listed).toEqual([{ key: "b", value: 3 }]);
    });

    it("commits and lists a large batch", async () => {
      const { store } = await openStore();
      const count = 2000;
      const payload = "p".repeat(1000);
      const numbers = Array.from({ length: count }, (_, i) => i);
      await store.commit(scrambled(numbers).map((n) => put("committedUploads", sequenceKey(n), { n, payload })));
      const listed = await store.list<{ n: number; payload: string }>("committedUploads");
      expect(listed.length).toBe(count);
      expect(listed.map((entry) => entry.value.n)).toEqual(numbers);
      expect(listed.every((entry) => entry.value.payload === payload)).toBe(true);
    });

    it("keeps its data across close and reopen (persistent stores)", async (context) => {
      const { store, reopen } = await openStore();
      if (!reopen) return context.skip();
      await store.commit([
        put("meta", "mode", "idle"),
        put("files", "a", { sha256: "aa", version: 3 }),
        put("files", "gone", 1),
        put("outbox", sequenceKey(2), "second"),
        put("outbox", sequenceKey(10), "tenth"),
        put("tusUploads", "f", "x"),
      ]);
      await store.commit([del("files", "gone"), clear("tusUploads"), put("files", "\u{1F600}", null)]);
      const before = await snapshot(store);
      await store.close();

      const again = await reopen();
      expect(await snapshot(again)).toEqual(before);
      expect(await again.get("files", "a")).toEqual({ sha256: "aa", version: 3 });
      expect(await again.get("files", "gone")).toBeUndefined();
      await again.commit([put("meta", "mode", "synchronizing"), del("outbox", sequenceKey(2))]);
      await again.close();

      const third = await reopen();
      expect(await third.get("meta", "mode")).toBe("synchronizing");
      expect(await third.list("outbox")).toEqual([{ key: sequenceKey(10), value: "tenth" }]);
    });
  });
}
