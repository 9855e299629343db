// The byte plane for uploads: tus 1.0 (core, creation, termination,
// expiration) through @tus/server, with smsync's rules in its hooks:
// - creation checks the caller's lock and the file index rules, and records
//   a StagedUpload row; creating again for the same (user, fileUUID,
//   version, sha256) answers with the existing upload (see handle);
// - every other request must come from the upload's owner;
// - on the last byte the server checks the sha256, and discards the bytes
//   on a mismatch;
// - every error answer has a JSON body {code, message}; a full staging
//   disk is 507 STAGING_FULL; an unexpected failure is logged and answered
//   without its message.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Server as TusServer } from "@tus/server";
import { Metadata, type Upload } from "@tus/utils";
import { authenticate, type Caller } from "../auth/deviceTokens.ts";
import { sha256OfFile } from "../content/sha256.ts";
import { isFileSystemFull } from "../errors/fileSystemFull.ts";
import { SmsyncError, type ErrorCode } from "../errors/SmsyncError.ts";
import { checkUploadAgainstIndex } from "../fileIndex/fileIndex.ts";
import { isOriginAllowed, uploadCorsHeaders } from "../http/cors.ts";
import { requireIdleLock } from "../locks/locks.ts";
import type { Services } from "../services.ts";
import { DurableFileStore } from "./DurableFileStore.ts";
import { parseUploadMetadataHeader } from "./uploadMetadata.ts";

export const uploadsPath = "/uploads";

const statusOf: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  LOCK_HELD: 423,
  LOCK_REQUIRED: 423,
  STALE_FENCING_TOKEN: 409,
  TRANSFER_IN_PROGRESS: 423,
  TRANSFER_FAILED: 423,
  WRONG_VERSION: 409,
  CLOUD_NAME_TAKEN: 409,
  FILE_DELETED: 409,
  UPLOAD_AND_DELETION_IN_BATCH: 409,
  CHECKSUM_MISMATCH: 460,
};

/** A hook's rejection in the shape @tus/server answers with: status and a JSON body. */
class Rejection {
  readonly status_code: number;
  readonly body: string;

  constructor(error: SmsyncError) {
    this.status_code = statusOf[error.code] ?? 400;
    this.body = JSON.stringify({ code: error.code, message: error.message, ...error.extensions });
  }
}

function rejection(error: SmsyncError): Rejection {
  return new Rejection(error);
}

function answerJson(res: ServerResponse, status: number, code: ErrorCode, message: string, headers: Record<string, string>): void {
  res.writeHead(status, { "Content-Type": "application/json", "Tus-Resumable": "1.0.0", ...headers });
  res.end(JSON.stringify({ code, message }));
}

async function callerOf(services: Services, authorization: string | null | undefined): Promise<Caller> {
  const caller = await authenticate(services.db, authorization);
  if (!caller) throw new SmsyncError("UNAUTHENTICATED", "a valid device token is required (Authorization: Bearer ...)");
  return caller;
}

function rethrowAsRejection(error: unknown): never {
  if (error instanceof SmsyncError) throw rejection(error);
  throw error;
}

export class UploadPlane {
  readonly tus: TusServer;

  constructor(private readonly services: Services) {
    const { config, staging } = services;
    this.tus = new TusServer({
      path: uploadsPath,
      datastore: new DurableFileStore({
        directory: staging.uploadsDir,
        expirationPeriodInMilliseconds: config.uploadExpirySeconds * 1000,
        forgetFailedCreation: async (uploadId) => {
          await services.db.$transaction((tx) => tx.stagedUpload.deleteMany({ where: { id: uploadId, operationId: null } }));
        },
      }),
      maxSize: config.maxUploadBytes,
      respectForwardedHeaders: false,
      // CORS (SMSYNC_CORS_ORIGINS): tus exposes Location, Upload-Offset, Upload-Length and Tus-Resumable itself.
      allowedOrigins: (origin) => isOriginAllowed(config.corsOrigins, origin),
      disableTerminationForFinishedUploads: true,
      generateUrl: (_req, { proto, host, path, id }) => `${config.publicUrl ?? `${proto}://${host}`}${path}/${id}`,
      onUploadCreate: (req, upload) =>
        this.onUploadCreate(req.headers.get("authorization"), req.headers.get("upload-metadata"), upload).catch(rethrowAsRejection),
      onIncomingRequest: (req, uploadId) =>
        this.onIncomingRequest(req.headers.get("authorization"), req.method, uploadId).catch(rethrowAsRejection),
      onUploadFinish: (req, upload) => this.onUploadFinish(upload).catch(rethrowAsRejection),
      onResponseError: (req, error) => this.errorAnswer(req, error),
    });
  }

  /**
   * The answer to an error: smsync's rejections as they are; tus's own
   * (offset conflict, size limit...) with their status and a JSON body; a
   * full staging disk as 507 STAGING_FULL; anything else, logged, as a 500
   * that does not show its message.
   */
  private errorAnswer(req: Request, error: unknown): { status_code: number; body: string } | undefined {
    if (error instanceof Rejection) return undefined;
    const tusError = error as { status_code?: unknown; body?: unknown };
    if (typeof tusError.status_code === "number" && typeof tusError.body === "string" && tusError.status_code < 500) {
      const code: ErrorCode =
        tusError.status_code === 404 || tusError.status_code === 410
          ? "NOT_FOUND"
          : tusError.status_code === 413
            ? "PAYLOAD_TOO_LARGE"
            : "BAD_INPUT";
      return { status_code: tusError.status_code, body: JSON.stringify({ code, message: tusError.body.trim() }) };
    }
    if (isFileSystemFull(error)) {
      this.services.logger.error({ err: error, method: req.method, url: req.url }, "upload refused: the staging area's disk is full");
      const message = "the server's staging area is full; the bytes received so far are kept: resume the upload (HEAD, then PATCH) later";
      return { status_code: 507, body: JSON.stringify({ code: "STAGING_FULL", message }) };
    }
    this.services.logger.error({ err: error, method: req.method, url: req.url }, "upload request failed");
    return { status_code: 500, body: JSON.stringify({ code: "INTERNAL", message: "internal server error" }) };
  }

  /** Node entry point: answers a repeated creation itself, hands the rest to tus. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const metadataHeader = req.headers["upload-metadata"];
    if (req.method === "POST" && typeof metadataHeader === "string") {
      // tus would answer a malformed header in plain text; smsync answers in JSON.
      try {
        Metadata.parse(metadataHeader);
      } catch {
        req.resume();
        return answerJson(
          res,
          400,
          "BAD_INPUT",
          "Upload-Metadata is malformed: comma-separated pairs of a key and a Base64 value",
          uploadCorsHeaders(this.services.config, req.headers.origin),
        );
      }
      const existing = await this.findResumableUpload(req).catch(() => null);
      if (existing) {
        const base = this.services.config.publicUrl ?? `http://${req.headers.host}`;
        res.writeHead(201, {
          Location: `${base}${uploadsPath}/${existing.id}`,
          "Tus-Resumable": "1.0.0",
          "Upload-Offset": String(existing.offset),
          "Access-Control-Expose-Headers": "Location, Upload-Offset, Tus-Resumable",
          ...uploadCorsHeaders(this.services.config, req.headers.origin),
        });
        res.end();
        req.resume();
        return;
      }
    }
    await this.tus.handle(req, res);
  }

  /**
   * The upload a repeated creation names, if the caller may resume it: same
   * content and size, staged by this device under the lock grant it still
   * holds. Anything else goes through tus, whose hooks give the reason.
   */
  private async findResumableUpload(req: IncomingMessage): Promise<{ id: string; offset: number } | null> {
    const caller = await authenticate(this.services.db, req.headers.authorization);
    if (!caller) return null;
    const metadata = parseUploadMetadataHeader(req.headers["upload-metadata"] as string);
    const row = await this.services.db.$transaction(async (tx) => {
      await requireIdleLock(tx, caller, metadata.fencingToken);
      return tx.stagedUpload.findUnique({
        where: { userId_fileUUID_version: { userId: caller.userId, fileUUID: metadata.fileUUID, version: metadata.version } },
      });
    });
    if (
      !row ||
      row.operationId ||
      row.deviceId !== caller.deviceId ||
      row.sha256 !== metadata.sha256 ||
      row.fencingToken !== metadata.fencingToken
    ) {
      return null;
    }
    if (String(row.size) !== req.headers["upload-length"]) return null;
    const upload = await this.tus.datastore.getUpload(row.id).catch(() => null);
    if (!upload) return null;
    // Reporting every byte received means reporting a checked upload; a
    // mismatch discards it, and the creation starts a new one.
    if (row.state === "UPLOADING" && upload.offset === upload.size) await this.checkFinishedUpload(row.id);
    return { id: row.id, offset: upload.offset };
  }

  private async onUploadCreate(authorization: string | null, metadataHeader: string | null, upload: Upload) {
    const caller = await callerOf(this.services, authorization);
    if (upload.size === undefined) {
      throw new SmsyncError("BAD_INPUT", "Upload-Length is required (deferred length is not supported)");
    }
    // Decoded again from the header: tus decodes it leniently (invalid UTF-8 becomes U+FFFD).
    const metadata = parseUploadMetadataHeader(metadataHeader);
    const replaced = await this.services.db.$transaction(async (tx) => {
      await requireIdleLock(tx, caller, metadata.fencingToken);
      await checkUploadAgainstIndex(tx, {
        userId: caller.userId,
        fileUUID: metadata.fileUUID,
        version: metadata.version,
        cloudFileName: metadata.cloudFileName,
        fencingToken: metadata.fencingToken,
        undelete: metadata.undelete,
      });
      // An uncommitted upload of the same version with other content is replaced.
      const key = { userId: caller.userId, fileUUID: metadata.fileUUID, version: metadata.version };
      const previous = await tx.stagedUpload.findUnique({ where: { userId_fileUUID_version: key } });
      if (previous?.operationId) {
        throw new SmsyncError("WRONG_VERSION", `version ${metadata.version} of ${metadata.fileUUID} is committed already`);
      }
      if (previous) await tx.stagedUpload.delete({ where: { id: previous.id } });
      await tx.stagedUpload.create({
        data: {
          id: upload.id,
          ...key,
          deviceId: caller.deviceId,
          sha256: metadata.sha256,
          cloudFileName: metadata.cloudFileName,
          mimeType: metadata.mimeType,
          appMetaData: metadata.appMetaData,
          size: BigInt(upload.size!),
          undelete: metadata.undelete,
          fencingToken: metadata.fencingToken,
          state: "UPLOADING",
        },
      });
      return previous;
    });
    if (replaced) await this.services.staging.removeUpload(replaced.id);
    this.services.logger.info(
      { userId: caller.userId, uploadId: upload.id, fileUUID: metadata.fileUUID, version: metadata.version, size: upload.size },
      "upload created",
    );
    return {};
  }

  private async onIncomingRequest(authorization: string | null, method: string, uploadId: string): Promise<void> {
    const caller = await callerOf(this.services, authorization);
    // A creation is checked by onUploadCreate; its id is new.
    if (method === "POST") return;
    const row = await this.services.db.stagedUpload.findUnique({ where: { id: uploadId } });
    // Another user's upload looks the same as a missing one.
    if (!row || row.userId !== caller.userId) throw new SmsyncError("NOT_FOUND", `no upload ${uploadId}`);
    if (method === "DELETE") await this.forgetTerminatedUpload(row.id);
    if (method === "HEAD" && row.state === "UPLOADING") await this.checkIfAllReceived(row.id);
  }

  /**
   * A client resuming with HEAD that finds every byte on the server sends no
   * more PATCH, so the last-byte check must run here if it never completed
   * (the server failed or stopped between the last write and the check).
   */
  private async checkIfAllReceived(uploadId: string): Promise<void> {
    const upload = await this.tus.datastore.getUpload(uploadId).catch(() => null);
    if (upload && upload.size !== undefined && upload.offset === upload.size) await this.checkFinishedUpload(uploadId);
  }

  /**
   * A termination removes the row before tus removes the bytes, so a commit
   * right after the 204 no longer sees the upload; bytes left behind by a
   * failure in between are swept as orphans.
   */
  private async forgetTerminatedUpload(uploadId: string): Promise<void> {
    const refusal = new SmsyncError("BAD_INPUT", "a complete or committed upload cannot be terminated");
    // tus refuses to terminate an upload that has all its bytes: refuse before touching the row.
    const upload = await this.tus.datastore.getUpload(uploadId).catch(() => null);
    if (upload && upload.offset === upload.size) throw refusal;
    const removed = await this.services.db.$transaction((tx) =>
      tx.stagedUpload.deleteMany({ where: { id: uploadId, operationId: null, state: "UPLOADING" } }),
    );
    if (removed.count === 0) throw refusal;
  }

  private async onUploadFinish(upload: Upload) {
    const sha256 = await this.checkFinishedUpload(upload.id);
    return { headers: { "Upload-Sha256": sha256 } };
  }

  /**
   * The last-byte check: the bytes against the declared sha256. A match
   * marks the upload COMPLETE (once, however often it runs); a mismatch
   * discards the row and the bytes. Returns the sha256 of the bytes.
   */
  /**
   * Before a commit: finishes the caller's uploads that hold all their bytes
   * but were never checked. A PATCH cut after its last byte skips tus's
   * finish hook, and a HEAD that raced with that PATCH saw the upload short
   * before answering it complete, so the client sends nothing more.
   * A mismatch discards the upload (commit then names it incomplete).
   */
  async finishReceivedUploads(caller: Caller, fencingToken: number): Promise<void> {
    const rows = await this.services.db.stagedUpload.findMany({
      where: { userId: caller.userId, deviceId: caller.deviceId, fencingToken, operationId: null, state: "UPLOADING" },
    });
    for (const row of rows) {
      const upload = await this.tus.datastore.getUpload(row.id).catch(() => null);
      if (upload && upload.size !== undefined && upload.offset === upload.size) {
        await this.checkFinishedUpload(row.id).catch((error) => {
          if (!(error instanceof SmsyncError)) throw error;
        });
      }
    }
  }

  private async checkFinishedUpload(uploadId: string): Promise<string> {
    const { db, staging, logger } = this.services;
    const row = await db.stagedUpload.findUnique({ where: { id: uploadId } });
    if (!row) throw new SmsyncError("NOT_FOUND", `no upload ${uploadId}`);
    const { sha256 } = await sha256OfFile(staging.uploadPath(uploadId));
    if (sha256 !== row.sha256) {
      await db.$transaction((tx) => tx.stagedUpload.deleteMany({ where: { id: uploadId, operationId: null } }));
      await staging.removeUpload(uploadId);
      logger.warn({ uploadId, fileUUID: row.fileUUID, expected: row.sha256, received: sha256 }, "upload rejected: sha256 mismatch");
      throw new SmsyncError(
        "CHECKSUM_MISMATCH",
        `the uploaded bytes have sha256 ${sha256}, not the declared ${row.sha256}; the upload was discarded`,
      );
    }
    const marked = await db.$transaction((tx) =>
      tx.stagedUpload.updateMany({ where: { id: uploadId, state: "UPLOADING" }, data: { state: "COMPLETE", completedAt: new Date() } }),
    );
    if (marked.count > 0) {
      logger.info({ uploadId, fileUUID: row.fileUUID, version: row.version, size: Number(row.size) }, "upload complete");
    }
    return sha256;
  }
}
