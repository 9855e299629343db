// The staging area's tus store (StagingFileStore: a full disk answered as
// such) with its answers made durable: an upload's offset, which
// a PATCH answers and a HEAD reads back from the file's size, must still
// hold after a power loss, or a client would skip bytes that the server no
// longer has. So a new upload (its empty content file, its .json, their
// names in the directory) is fsynced before the creation is answered, and
// every PATCH's bytes are fsynced before it is answered (one fsync a
// request), including the bytes of a PATCH that was cut, which a HEAD
// counts. The last PATCH's sha256 check is then of durable bytes.
import path from "node:path";
import { ERRORS, isPathInsideDirectory, type Upload } from "@tus/utils";
import type { Readable } from "node:stream";
import { syncPath } from "../durability/durableFiles.ts";
import { StagingFileStore } from "./StagingFileStore.ts";
import { TusAnswerError } from "./TusAnswerError.ts";

export class DurableFileStore extends StagingFileStore {
  /** The upload's content file, as FileStore's private resolve finds it. */
  protected contentPath(id: string): string {
    const file = path.join(this.directory, id);
    if (!isPathInsideDirectory(this.directory, file)) throw new TusAnswerError(ERRORS.FILE_NOT_FOUND);
    return file;
  }

  override async create(file: Upload): Promise<Upload> {
    const created = await super.create(file);
    const content = this.contentPath(file.id);
    await syncPath(content);
    await syncPath(`${content}.json`);
    await syncPath(path.dirname(content));
    return created;
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    let written: number;
    try {
      written = await super.write(readable, id, offset);
    } catch (error) {
      // Bytes that reached the file before the failure count in the offset a HEAD reports.
      await syncPath(this.contentPath(id)).catch((syncError: unknown) => {
        // The upload removed meanwhile (expired, or given back): no bytes left to count.
        if ((syncError as NodeJS.ErrnoException).code === "ENOENT") return;
        throw new AggregateError([error, syncError], `writing upload ${id} failed, and so did syncing its bytes`);
      });
      throw error;
    }
    await syncPath(this.contentPath(id));
    return written;
  }
}
