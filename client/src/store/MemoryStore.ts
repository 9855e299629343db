// The client store in memory: for tests, and for apps that want no
// persistence. Values are copied in and out, as a real store would.
import type { ClientStore, Collection, StoreChange, StoredEntry } from "./ClientStore.ts";

export class MemoryStore implements ClientStore {
  private readonly data = new Map<Collection, Map<string, string>>();

  private collection(name: Collection): Map<string, string> {
    let entries = this.data.get(name);
    if (!entries) this.data.set(name, (entries = new Map()));
    return entries;
  }

  async get<T>(collection: Collection, key: string): Promise<T | undefined> {
    const json = this.collection(collection).get(key);
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  async list<T>(collection: Collection): Promise<StoredEntry<T>[]> {
    return [...this.collection(collection).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, json]) => ({ key, value: JSON.parse(json) as T }));
  }

  async commit(changes: StoreChange[]): Promise<void> {
    // Serialize everything first, so a value that cannot be stored changes nothing.
    const prepared = changes.map((change) => (change.op === "put" ? { ...change, json: JSON.stringify(change.value) } : change));
    for (const change of prepared) {
      if (change.op === "put" && change.json === undefined) throw new TypeError(`value for ${change.collection}/${change.key} is not JSON`);
    }
    for (const change of prepared) {
      const entries = this.collection(change.collection);
      if (change.op === "put") entries.set(change.key, (change as { json: string }).json);
      else if (change.op === "delete") entries.delete(change.key);
      else entries.clear();
    }
  }

  async close(): Promise<void> {}
}
