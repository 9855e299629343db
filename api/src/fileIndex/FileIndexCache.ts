// Each user's file index as last read, kept with the event position it was
// read at. Every change of the index appends an event to the user's log in
// the same transaction (transfers/outboundTransfer.ts, events/eventLog.ts),
// so while the user's eventSeq has not moved the index has not either: a
// read then costs one single-row statement instead of the whole index (on
// the control-plane bench, the read of 134 rows and their mapping were a
// third of a fileIndex request's CPU: docs/performance.md, "A file index
// read again"). The position is read from the database each time, so the
// cache holds across instances: another instance's commit moves it too.
// The cached object is shared by the requests that get it: nothing may
// change it.
import { LRUCache } from "lru-cache";
import type { Database } from "../database/client.ts";
import { readEventSeq } from "../events/eventLog.ts";
import { readFileIndex, type FileIndexRead } from "./fileIndex.ts";

/** Files kept at most, all users together (a few hundred bytes each: about 40 MiB). */
const maxFiles = 100_000;

export class FileIndexCache {
  private readonly indexes = new LRUCache<string, FileIndexRead>({
    maxSize: maxFiles,
    sizeCalculation: (index) => index.files.length + 1,
  });

  /** The user's index now, as readFileIndex gives it (null: no such user). */
  async read(db: Database, userId: string): Promise<FileIndexRead | null> {
    const cached = this.indexes.get(userId);
    if (cached && (await readEventSeq(db, userId)) === cached.eventSeq) return cached;
    const index = await readFileIndex(db, userId);
    if (index) this.indexes.set(userId, index);
    else this.indexes.delete(userId);
    return index;
  }
}
