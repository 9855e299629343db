// The last-byte check of an upload: its bytes against the declared sha256.
// A match marks it COMPLETE, a mismatch discards its row and its bytes.
//
// Where it runs, and why that is enough (never in a GraphQL request, never
// in a HEAD):
// - in the request that wrote the last byte (CheckingFileStore.write), also
//   when that PATCH was cut after its last byte, and inside tus's lock on
//   the upload: a HEAD or PATCH of the same upload waits for the outcome
//   instead of seeing every byte before they are checked. If the check
//   fails for any other reason than a mismatch, that write is given back
//   (the file truncated to where it began), so the client's retry sends the
//   last bytes again and the check runs again;
// - for a zero-length creation, in its POST (hooks/onUploadFinish.ts);
// - at start, before the server listens (checkUploadsAKillLeft): a kill
//   between the last byte's fsync and the COMPLETE commit leaves an upload
//   with every byte and no outcome, which no request can see before this.
// COMPLETE is set by a conditional update (state UPLOADING), so the upload
// completes once however often the check runs. The sha256 checked is the
// one the upload's writes took as its bytes arrived (RunningHashes.ts) when
// they saw every byte, else that of the file, read.
import { stat } from "node:fs/promises";
import { sha256OfFile } from "../content/sha256.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import { crashPoint } from "../faults/crashPoints.ts";
import type { Services } from "../services.ts";

export type CheckOutcome = { matched: true; sha256: string } | { matched: false; sha256: string; declared: string };

export class LastByteCheck {
  constructor(private readonly services: Pick<Services, "db" | "staging" | "logger">) {}

  /**
   * Checks the upload if it is not yet, and returns the sha256 of its bytes;
   * CHECKSUM_MISMATCH once it has discarded them, NOT_FOUND without the row.
   * `receivedSha256`: their sha256 as they were written (RunningHashes.ts),
   * when known; else the check reads them.
   */
  async run(uploadId: string, receivedSha256?: string): Promise<string> {
    const outcome = await this.check(uploadId, receivedSha256);
    if (!outcome.matched) {
      throw new SmsyncError(
        "CHECKSUM_MISMATCH",
        `the uploaded bytes have sha256 ${outcome.sha256}, not the declared ${outcome.declared}; the upload was discarded`,
      );
    }
    return outcome.sha256;
  }

  /** A COMPLETE upload was checked already: its declared sha256 is its bytes'. */
  async check(uploadId: string, receivedSha256?: string): Promise<CheckOutcome> {
    const { db, staging, logger } = this.services;
    const row = await db.stagedUpload.findUnique({ where: { id: uploadId } });
    if (!row) throw new SmsyncError("NOT_FOUND", `no upload ${uploadId}`);
    if (row.state !== "UPLOADING") return { matched: true, sha256: row.sha256 };
    crashPoint("upload.beforeCheck");
    const sha256 = receivedSha256 ?? (await sha256OfFile(staging.uploadPath(uploadId))).sha256;
    if (sha256 !== row.sha256) {
      await db.$transaction((tx) => tx.stagedUpload.deleteMany({ where: { id: uploadId, operationId: null } }));
      staging.removeUpload(uploadId);
      logger.warn(
        { uploadId, fileUUID: row.fileUUID, expected: row.sha256, received: sha256 },
        "upload rejected: sha256 mismatch",
      );
      return { matched: false, sha256, declared: row.sha256 };
    }
    const marked = await db.$transaction((tx) =>
      tx.stagedUpload.updateMany({
        where: { id: uploadId, state: "UPLOADING" },
        data: { state: "COMPLETE", completedAt: new Date() },
      }),
    );
    if (marked.count > 0) {
      logger.info(
        { uploadId, fileUUID: row.fileUUID, version: row.version, size: Number(row.size) },
        "upload complete",
      );
    }
    crashPoint("upload.afterCheck");
    return { matched: true, sha256 };
  }

  /**
   * At start, before the server listens: checks every uncommitted upload
   * that holds all its bytes but has no outcome (a kill cut its check).
   * A failure stops the start: an upload left unchecked would never complete.
   */
  async checkUploadsAKillLeft(): Promise<number> {
    const rows = await this.services.db.stagedUpload.findMany({
      where: { operationId: null, state: "UPLOADING" },
      select: { id: true, size: true },
    });
    let checked = 0;
    for (const row of rows) {
      if (!(await this.holdsAllBytes(row.id, Number(row.size)))) continue;
      await this.check(row.id);
      checked++;
    }
    if (checked > 0) this.services.logger.info({ uploads: checked }, "uploads a kill left unchecked were checked");
    return checked;
  }

  /** A staged upload's offset is its file's size (tus's FileStore). */
  private async holdsAllBytes(uploadId: string, size: number): Promise<boolean> {
    try {
      return (await stat(this.services.staging.uploadPath(uploadId))).size === size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false; // the sweeper's business
      throw error;
    }
  }
}
