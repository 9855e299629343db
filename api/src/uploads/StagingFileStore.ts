// tus's FileStore for the staging area, keeping the file system's own error
// when a write fails: FileStore turns every write failure into a bare 500,
// and a full disk (ENOSPC, EDQUOT) must reach the client as STAGING_FULL
// (hooks/onResponseError.ts answers it). The bytes a cut write got onto the disk stay:
// a staged upload's offset is its file's size, so it always matches what is
// on disk, and the client resumes from there once space returns.
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { FileStore } from "@tus/file-store";
import { ERRORS, type Upload } from "@tus/utils";
import { isFileSystemFull } from "../errors/fileSystemFull.ts";
import { TusAnswerError } from "./TusAnswerError.ts";

type FileStoreOptions = ConstructorParameters<typeof FileStore>[0];

export class StagingFileStore extends FileStore {
  /** Forgets what the creation hook recorded of an upload whose creation failed (its StagedUpload row). */
  private readonly forgetFailedCreation: (uploadId: string) => Promise<void>;

  constructor({
    forgetFailedCreation,
    ...options
  }: FileStoreOptions & { forgetFailedCreation: (uploadId: string) => Promise<void> }) {
    super(options);
    this.forgetFailedCreation = forgetFailedCreation;
  }

  override async write(readable: Readable, uploadId: string, offset: number): Promise<number> {
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        callback(null, chunk);
      },
    });
    try {
      await pipeline(
        readable,
        counter,
        createWriteStream(path.join(this.directory, uploadId), { flags: "r+", start: offset }),
      );
    } catch (error) {
      if (isFileSystemFull(error)) throw error;
      throw new TusAnswerError(ERRORS.FILE_WRITE_ERROR, { cause: error });
    }
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
