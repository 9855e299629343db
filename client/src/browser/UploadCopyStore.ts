// The browser client's copies of queued Blobs (uploadBlob), as Blobs in an
// IndexedDB database of their own: the browser keeps a stored Blob on disk,
// not in memory, so a queued file survives a reload without being held in
// memory or base64 in the client store. One database per client store
// (`<store name>.uploadCopies`), so two clients of one origin never sweep
// each other's copies.
import { openDB, type IDBPDatabase } from "idb";

const objectStore = "blobs";

export class UploadCopyStore {
  private constructor(private readonly db: IDBPDatabase) {}

  static async open(name: string): Promise<UploadCopyStore> {
    const db = await openDB(name, 1, {
      upgrade(database) {
        database.createObjectStore(objectStore);
      },
    });
    return new UploadCopyStore(db);
  }

  async put(key: string, blob: Blob): Promise<void> {
    const tx = this.db.transaction(objectStore, "readwrite", { durability: "strict" });
    await Promise.all([tx.store.put(blob, key), tx.done]);
  }

  async get(key: string): Promise<Blob | undefined> {
    return (await this.db.get(objectStore, key)) as Blob | undefined;
  }

  async delete(key: string): Promise<void> {
    await this.db.delete(objectStore, key);
  }

  async keys(): Promise<string[]> {
    return (await this.db.getAllKeys(objectStore)) as string[];
  }

  close(): void {
    this.db.close();
  }
}
