// The client store in memory: for tests, and for apps that want no
// persistence. Values are copied in and out (as JSON, checked against their
// schemas), as a real store would. It starts empty, so always at the current
// schema version: nothing to migrate.
import {
  checkCollection,
  checkKey,
  prepareChanges,
  type ClientStore,
  type Collection,
  type EntryOf,
  type KeyIn,
  type StoreChange,
  type ValueAt,
} from "./ClientStore.ts";
import { promised } from "../promised.ts";
import { currentSchemaVersion } from "./migrations.ts";
import { decodeEntry, decodeValue } from "./recordValidation.ts";

export class MemoryStore implements ClientStore {
  readonly schemaVersion = currentSchemaVersion;
  private readonly data = new Map<Collection, Map<string, string>>();

  private collection(name: Collection): Map<string, string> {
    checkCollection(name);
    let entries = this.data.get(name);
    if (!entries) this.data.set(name, (entries = new Map<string, string>()));
    return entries;
  }

  get<C extends Collection, K extends KeyIn<C>>(collection: C, key: K): Promise<ValueAt<C, K> | undefined> {
    return promised(() => {
      const entries = this.collection(collection);
      checkKey(collection, key);
      const json = entries.get(key);
      return json === undefined ? undefined : decodeValue(collection, key, json);
    });
  }

  list<C extends Collection>(collection: C): Promise<EntryOf<C>[]> {
    return promised(() =>
      [...this.collection(collection).entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, json]) => decodeEntry(collection, key, json)),
    );
  }

  commit(changes: StoreChange[]): Promise<void> {
    return promised(() => this.apply(changes));
  }

  private apply(changes: StoreChange[]): void {
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
