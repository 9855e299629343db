// The client store in memory: for tests, and for apps that want no
// persistence. Values are copied in and out, as a real store would.
import {
  checkCollection,
  checkKey,
  prepareChanges,
  type ClientStore,
  type Collection,
  type StoreChange,
  type StoredEntry,
} from "./ClientStore.ts";

export class MemoryStore implements ClientStore {
  private readonly data = new Map<Collection, Map<string, string>>();

  private collection(name: Collection): Map<string, string> {
    checkCollection(name);
    let entries = this.data.get(name);
    if (!entries) this.data.set(name, (entries = new Map()));
    return entries;
  }

  async get<T>(collection: Collection, key: string): Promise<T | undefined> {
    const entries = this.collection(collection);
    checkKey(collection, key);
    const json = entries.get(key);
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  async list<T>(collection: Collection): Promise<StoredEntry<T>[]> {
    return [...this.collection(collection).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, json]) => ({ key, value: JSON.parse(json) as T }));
  }

  async commit(changes: StoreChange[]): Promise<void> {
    // Everything is checked and serialized first, so a change that cannot be stored changes nothing.
    for (const change of prepareChanges(changes)) {
      const entries = this.collection(change.collection);
      if (change.op === "put") entries.set(change.key, change.json);
      else if (change.op === "delete") entries.delete(change.key);
      else entries.clear();
    }
  }

  async close(): Promise<void> {}
}
