// The cloud of a simulator's server process (server/serverMain.ts): one real
// storage, and a FaultyCloudStorage around it per user, so the faults a run
// arms strike only its own users' calls (a fault of one run must not land in
// another's transfer, or no run could be replayed from its seed).
import type { Readable } from "node:stream";
import type { CloudObject, CloudObjectKey, CloudObjectMetadata, CloudStorage, WriteOptions } from "@smsync/api";
import { FaultyCloudStorage } from "@smsync/testkit";

export class PerUserFaultyCloud implements CloudStorage {
  readonly name: string;
  private readonly byUser = new Map<string, FaultyCloudStorage>();

  /** The concurrency of the storage it wraps: the transfers run as they would against it. */
  get writeConcurrency(): number | undefined {
    return this.inner.writeConcurrency;
  }

  get readConcurrency(): number | undefined {
    return this.inner.readConcurrency;
  }

  constructor(readonly inner: CloudStorage) {
    this.name = `per-user-faulty(${inner.name})`;
  }

  /** The faults of one user's calls. */
  forUser(userId: string): FaultyCloudStorage {
    let faulty = this.byUser.get(userId);
    if (!faulty) this.byUser.set(userId, (faulty = new FaultyCloudStorage(this.inner)));
    return faulty;
  }

  findObject(key: CloudObjectKey): Promise<CloudObject | null> {
    return this.forUser(key.userId).findObject(key);
  }

  writeObject(metadata: CloudObjectMetadata, content: () => Readable, options?: WriteOptions): Promise<CloudObject> {
    return this.forUser(metadata.userId).writeObject(metadata, content, options);
  }

  readObject(userId: string, objectId: string, range?: { start: number; end?: number }): Promise<Readable> {
    return this.forUser(userId).readObject(userId, objectId, range);
  }

  linkObject(userId: string, objectId: string, to: string): Promise<boolean> {
    return this.forUser(userId).linkObject(userId, objectId, to);
  }

  deleteObject(userId: string, objectId: string): Promise<void> {
    return this.forUser(userId).deleteObject(userId, objectId);
  }

  listObjects(userId: string): Promise<CloudObject[]> {
    return this.forUser(userId).listObjects(userId);
  }
}
