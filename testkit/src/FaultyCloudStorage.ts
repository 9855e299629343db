// A CloudStorage that fails on command, around a real one (usually
// LocalDirectoryStorage): a test arms a fault ("the 2nd write fails with a
// transient error, 3 times in a row"), runs a transfer, and counts what
// reached the real storage. A fault can strike before the real call (nothing
// happened) or after it (the call took effect, its answer was lost). A write
// can also be held at a gate until the test releases it, to stall a worker
// in the middle of its cloud write, and so can a read (or the link that
// stands for one), to stall an inbound transfer before it stages a file.
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import {
  type CloudFailureKind,
  type CloudObject,
  type CloudObjectKey,
  type CloudObjectMetadata,
  type CloudStorage,
  CloudStorageError,
  type WriteOptions,
} from "@smsync/api";

export type CloudCall = "write" | "read" | "delete" | "find" | "list";

export interface FaultSpec {
  call: CloudCall;
  kind: CloudFailureKind;
  /** The first call (1-based, counting calls of this kind from when the fault is armed) that fails. Default 1. */
  nth?: number;
  /** How many calls in a row fail from there on. Default 1; Infinity fails until cleared. */
  times?: number;
  /** Fail after the real call took effect (a lost response) instead of before it. */
  after?: boolean;
  /** Only calls about this file count (write, find: the key's fileUUID; read, delete: the file of the object id). */
  fileUUID?: string;
}

interface ArmedFault extends Required<Omit<FaultSpec, "fileUUID">> {
  fileUUID?: string;
  seen: number;
  failed: number;
}

export interface WriteGate {
  /** Resolves when a write has reached the gate (and is held there). */
  reached: Promise<CloudObjectMetadata>;
  /** Lets the held write go on to the real storage. */
  release(): void;
}

export class FaultyCloudStorage implements CloudStorage {
  readonly name: string;
  /** Calls made, by kind (including failed ones). */
  readonly calls: Record<CloudCall, number> = { write: 0, read: 0, delete: 0, find: 0, list: 0 };
  /** Faults injected, by kind. */
  readonly failures: Record<CloudCall, number> = { write: 0, read: 0, delete: 0, find: 0, list: 0 };
  /**
   * Content the real storage actually sent to the cloud, by "<fileUUID>.v<version>": it reads
   * the content only to write it, so a write that finds its object written before counts none.
   */
  readonly created = new Map<string, number>();
  private faults: ArmedFault[] = [];
  /** The file of each object id seen (a Drive file id does not name its file, as a local one does). */
  private readonly fileOfObject = new Map<string, string>();
  private readGates: { nth: number; seen: number; open: Promise<void>; arrive: () => void }[] = [];
  private gates: {
    nth: number;
    seen: number;
    fileUUID?: string;
    open: Promise<void>;
    arrive: (metadata: CloudObjectMetadata) => void;
  }[] = [];

  /** The concurrency of the storage it wraps: the transfers run as they would against it. */
  get writeConcurrency(): number | undefined {
    return this.inner.writeConcurrency;
  }

  get readConcurrency(): number | undefined {
    return this.inner.readConcurrency;
  }

  constructor(readonly inner: CloudStorage) {
    this.name = `faulty(${inner.name})`;
  }

  /** Arms a fault; faults are checked in the order they were armed, the first that strikes wins. */
  fail(spec: FaultSpec): this {
    this.faults.push({ nth: 1, times: 1, after: false, ...spec, seen: 0, failed: 0 });
    return this;
  }

  /** Disarms every fault (the cloud is healthy again). */
  heal(): this {
    this.faults = [];
    return this;
  }

  /**
   * Holds the nth write (counted from now, of fileUUID if given) until released, as a worker
   * stalled in mid-upload: it has read the content, and sends it to the real storage on release.
   */
  holdWrite(nth = 1, fileUUID?: string): WriteGate {
    let release!: () => void;
    let arrive!: (metadata: CloudObjectMetadata) => void;
    const open = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<CloudObjectMetadata>((resolve) => (arrive = resolve));
    this.gates.push({ nth, seen: 0, fileUUID, open, arrive });
    return { reached, release };
  }

  /**
   * Holds the nth read (counted from now; a link to an object counts as one) until released: an
   * inbound transfer stalled before it stages that file. `reached` resolves when a read is held.
   */
  holdRead(nth = 1): { reached: Promise<void>; release(): void } {
    let release!: () => void;
    let arrive!: () => void;
    const open = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    this.readGates.push({ nth, seen: 0, open, arrive });
    return { reached, release };
  }

  private async passReadGates(): Promise<void> {
    for (const gate of this.readGates) {
      if (++gate.seen !== gate.nth) continue;
      gate.arrive();
      await gate.open;
    }
  }

  /** Total objects created by the real storage. */
  get objectsCreated(): number {
    return [...this.created.values()].reduce((sum, count) => sum + count, 0);
  }

  private strike(call: CloudCall, fileUUID: string | undefined, after: boolean): CloudStorageError | null {
    for (const fault of this.faults) {
      if (fault.call !== call || fault.after !== after) continue;
      if (fault.fileUUID && fault.fileUUID !== fileUUID) continue;
      fault.seen++;
      if (fault.seen >= fault.nth && fault.failed < fault.times) {
        fault.failed++;
        this.failures[call]++;
        return new CloudStorageError(
          fault.kind,
          `injected ${fault.kind} failure of cloud ${call} #${fault.seen}${after ? " (after it took effect)" : ""}`,
        );
      }
    }
    return null;
  }

  /** Runs a call with the faults armed for it before and after. */
  private async around<T>(call: CloudCall, fileUUID: string | undefined, run: () => Promise<T>): Promise<T> {
    this.calls[call]++;
    const before = this.strike(call, fileUUID, false);
    if (before) throw before;
    const result = await run();
    const after = this.strike(call, fileUUID, true);
    if (after) throw after;
    return result;
  }

  private seen<T extends CloudObject | null>(object: T): T {
    if (object) this.fileOfObject.set(object.objectId, object.fileUUID);
    return object;
  }

  private fileUUIDOf(objectId: string): string {
    return this.fileOfObject.get(objectId) ?? objectId.split(".")[0]!;
  }

  findObject(key: CloudObjectKey): Promise<CloudObject | null> {
    return this.around("find", key.fileUUID, async () => this.seen(await this.inner.findObject(key)));
  }

  writeObject(metadata: CloudObjectMetadata, content: () => Readable, options?: WriteOptions): Promise<CloudObject> {
    return this.around("write", metadata.fileUUID, async () => {
      for (const gate of this.gates) {
        if (gate.fileUUID && gate.fileUUID !== metadata.fileUUID) continue;
        if (++gate.seen === gate.nth) {
          // Stalled in mid-upload: the content has been read when the write stalls.
          const bytes = await buffer(content());
          content = () => Readable.from([bytes]);
          gate.arrive(metadata);
          await gate.open;
        }
      }
      const key = `${metadata.fileUUID}.v${metadata.version}`;
      // The real storage asks for the content only when it sends bytes to the cloud. It is given no
      // source file to link instead: the content stream is what this wrapper counts, holds and faults.
      const { sourceFile: _linkable, ...throughStream } = options ?? {};
      const written = await this.inner.writeObject(
        metadata,
        () => {
          this.created.set(key, (this.created.get(key) ?? 0) + 1);
          return content();
        },
        throughStream,
      );
      return this.seen(written);
    });
  }

  async readObject(userId: string, objectId: string, range?: { start: number; end?: number }): Promise<Readable> {
    await this.passReadGates();
    return this.around("read", this.fileUUIDOf(objectId), () => this.inner.readObject(userId, objectId, range));
  }

  /** A link in place of a read (a local backend on the staging file system): counted, and faulted, as a read. */
  async linkObject(userId: string, objectId: string, to: string): Promise<boolean> {
    const { inner } = this;
    if (!inner.linkObject) return false;
    await this.passReadGates();
    return this.around("read", this.fileUUIDOf(objectId), () => inner.linkObject!(userId, objectId, to));
  }

  deleteObject(userId: string, objectId: string): Promise<void> {
    return this.around("delete", this.fileUUIDOf(objectId), () => this.inner.deleteObject(userId, objectId));
  }

  listObjects(userId: string): Promise<CloudObject[]> {
    return this.around("list", undefined, async () =>
      (await this.inner.listObjects(userId)).map((object) => this.seen(object)),
    );
  }
}
