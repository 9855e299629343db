// tus's FileStore for the staging area, keeping the file system's own error
// when a write fails: FileStore turns every write failure into a bare 500,
// and a full disk (ENOSPC, EDQUOT) must reach the client as STAGING_FULL
// (hooks/onResponseError.ts answers it). The bytes a cut write got onto the disk stay:
// a staged upload's offset is its file's size, so it always matches what is
// on disk, and the client resumes from there once space returns.
//
// Each write hashes the bytes it brings (RunningHashes.ts), and lets up to a
// mebibyte of the request's 64 KiB chunks wait while the disk writes, so
// they go down in one writev: a chunk a write kept the main thread in
// Node's file system calls for a fifth of a large upload's time.
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { FileStore } from "@tus/file-store";
import { ERRORS, type Upload } from "@tus/utils";
import { isFileSystemFull } from "../errors/fileSystemFull.ts";
import { RunningHashes } from "./RunningHashes.ts";
import { TusAnswerError } from "./TusAnswerError.ts";

/** Bytes of a request that may wait for the disk, written together. */
const writeBatchBytes = 1024 * 1024;

type FileStoreOptions = ConstructorParameters<typeof FileStore>[0];

export class StagingFileStore extends FileStore {
  /** Forgets what the creation hook recorded of an upload whose creation failed (its StagedUpload row). */
  private readonly forgetFailedCreation: (uploadId: string) => Promise<void>;
  /** The hash of each upload's bytes so far, for its last-byte check. */
  readonly runningHashes: RunningHashes;

  constructor({
    forgetFailedCreation,
    runningHashes = new RunningHashes(),
    ...options
  }: FileStoreOptions & { forgetFailedCreation: (uploadId: string) => Promise<void>; runningHashes?: RunningHashes }) {
    super(options);
    this.forgetFailedCreation = forgetFailedCreation;
    this.runningHashes = runningHashes;
  }

  override async write(readable: Readable, uploadId: string, offset: number): Promise<number> {
    let received = 0;
    const hash = this.runningHashes.resume(uploadId, offset);
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        hash?.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(
        readable,
        counter,
        createWriteStream(path.join(this.directory, uploadId), {
          flags: "r+",
          start: offset,
          highWaterMark: writeBatchBytes,
        }),
      );
    } catch (error) {
      if (isFileSystemFull(error)) throw error;
      throw new TusAnswerError(ERRORS.FILE_WRITE_ERROR, { cause: error });
    }
    if (hash) this.runningHashes.record(uploadId, hash, offset + received);
    return offset + received;
  }

  /** A creation that failed (the disk had no room for it) leaves no content file, no partial .json and no row behind. */
  override async create(upload: Upload): Promise<Upload> {
    try {
      return await super.create(upload);
    } catch (error) {
      const file = path.join(this.directory, upload.id);
      await rm(file, { force: true });
      await rm(`${file}.json`, { force: true });
      await this.forgetFailedCreation(upload.id);
      throw error;
    }
  }
}
