// The staging area's durable tus store, whose write that brings an upload's
// last byte runs the last-byte check (LastByteCheck.ts) before it returns:
// where the bytes arrive, inside tus's lock on the upload (tus calls
// store.write with it held), and whether the PATCH ended well or was cut
// after its last byte (tus then skips its onUploadFinish hook).
import { truncate } from "node:fs/promises";
import { type Readable } from "node:stream";
import { ERRORS, type Upload } from "@tus/utils";
import { syncPath } from "../durability/durableFiles.ts";
import { DurableFileStore } from "./DurableFileStore.ts";

type DurableFileStoreOptions = ConstructorParameters<typeof DurableFileStore>[0];

export class CheckingFileStore extends DurableFileStore {
  /**
   * Runs the last-byte check of an upload that holds all its bytes, given
   * their sha256 when its writes hashed every one (else it reads them);
   * throws its outcome if not a match.
   */
  private readonly checkReceivedUpload: (uploadId: string, receivedSha256: string | undefined) => Promise<unknown>;

  constructor({
    checkReceivedUpload,
    ...options
  }: DurableFileStoreOptions & {
    checkReceivedUpload: (uploadId: string, receivedSha256: string | undefined) => Promise<unknown>;
  }) {
    super(options);
    this.checkReceivedUpload = checkReceivedUpload;
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    let written: number | undefined;
    let writeFailure: { error: unknown } | undefined;
    try {
      written = await super.write(readable, id, offset);
    } catch (error) {
      writeFailure = { error };
    }
    const upload = await this.getUpload(id);
    if (upload.offset === upload.size) await this.checkOrGiveBack(upload, offset);
    if (writeFailure) throw writeFailure.error;
    return written!;
  }

  /** An upload that tus found gone (removed, or its .json without its bytes) is null; any other failure is thrown. */
  async findUpload(id: string): Promise<Upload | null> {
    try {
      return await this.getUpload(id);
    } catch (error) {
      if (error === ERRORS.FILE_NOT_FOUND || error === ERRORS.FILE_NO_LONGER_EXISTS) return null;
      throw error;
    }
  }

  /**
   * A check that ends without an outcome (the database or the disk failed)
   * gives this write back: an upload never shows every byte without them
   * being checked or being checked now, so the client's retry (HEAD, then
   * PATCH) sends them again and the check runs again. No answer reported
   * the offset given back: the failure is this request's answer.
   */
  private async checkOrGiveBack(upload: Upload, writeStart: number): Promise<void> {
    try {
      await this.checkReceivedUpload(upload.id, this.runningHashes.finish(upload.id, upload.size!));
    } catch (checkError) {
      try {
        await this.giveBackWrite(upload.id, writeStart);
      } catch (undoError) {
        throw new AggregateError(
          [checkError, undoError],
          `the last-byte check of upload ${upload.id} failed, and so did giving its last write back`,
        );
      }
      throw checkError;
    }
  }

  /** Truncates the content file to where the write began, durably; a mismatch has removed it already. */
  private async giveBackWrite(id: string, writeStart: number): Promise<void> {
    const file = this.contentPath(id);
    try {
      await truncate(file, writeStart);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    await syncPath(file);
  }
}
