// A tus creation repeated for an upload the server has (same user, device,
// fileUUID, version, sha256, fencing token and length) is answered with that
// upload's URL and offset, so the client resumes it (docs/protocol.md, "Safe
// to repeat"). tus itself would always create a new upload.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Metadata } from "@tus/utils";
import { authenticateRequest } from "../auth/requestCaller.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import { uploadCorsHeaders } from "../http/cors.ts";
import { publicBaseUrl } from "../http/publicBaseUrl.ts";
import { requireIdleLock } from "../locks/locks.ts";
import type { Services } from "../services.ts";
import type { CheckingFileStore } from "./CheckingFileStore.ts";
import { internalErrorAnswer } from "./hooks/onResponseError.ts";
import { parseUploadMetadataHeader } from "./uploadMetadata.ts";

export class RepeatedCreation {
  constructor(
    private readonly services: Services,
    private readonly store: CheckingFileStore,
    private readonly uploadsPath: string,
  ) {}

  /** Answers a creation that names an upload the caller may resume, or a malformed one; false leaves the request to tus. */
  async answer(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const header = req.headers["upload-metadata"];
    if (req.method !== "POST" || typeof header !== "string") return false;
    const cors = uploadCorsHeaders(this.services.config, req.headers.origin);
    // tus would answer a malformed header in plain text; smsync answers in JSON.
    try {
      Metadata.parse(header);
    } catch {
      // A pure parser: its one failure is "Metadata string is not valid".
      const message = "Upload-Metadata is malformed: comma-separated pairs of a key and a Base64 value";
      answer(
        req,
        res,
        400,
        { ...cors, "Content-Type": "application/json" },
        JSON.stringify({ code: "BAD_INPUT", message }),
      );
      return true;
    }
    let existing: { id: string; offset: number } | null;
    try {
      existing = await this.findResumableUpload(req, header);
    } catch (error) {
      this.services.logger.error({ err: error, method: req.method, url: req.url }, "upload request failed");
      const { status_code, body } = internalErrorAnswer();
      answer(req, res, status_code, { ...cors, "Content-Type": "application/json" }, body);
      return true;
    }
    if (!existing) return false;
    answer(req, res, 201, {
      Location: `${publicBaseUrl(this.services.config.publicUrl, req)}${this.uploadsPath}/${existing.id}`,
      "Upload-Offset": String(existing.offset),
      "Access-Control-Expose-Headers": "Location, Upload-Offset, Tus-Resumable",
      ...cors,
    });
    return true;
  }

  /**
   * The upload a repeated creation names, if the caller may resume it: same
   * content and size, staged by this device under the lock grant it still
   * holds, and either short of bytes or checked. Anything else goes through
   * tus, whose hooks give the reason; an upload with every byte but no
   * outcome (its check failed, and giving its last write back failed too)
   * is replaced by the new creation, never checked here.
   */
  private async findResumableUpload(
    req: IncomingMessage,
    header: string,
  ): Promise<{ id: string; offset: number } | null> {
    const caller = await authenticateRequest(this.services, req.headers.authorization);
    if (!caller) return null;
    let metadata;
    try {
      metadata = parseUploadMetadataHeader(header);
    } catch (error) {
      if (error instanceof SmsyncError) return null;
      throw error;
    }
    const row = await this.services.db.$transaction(async (tx) => {
      try {
        await requireIdleLock(tx, caller, metadata.fencingToken);
      } catch (error) {
        if (error instanceof SmsyncError) return null;
        throw error;
      }
      return tx.stagedUpload.findUnique({
        where: {
          userId_fileUUID_version: { userId: caller.userId, fileUUID: metadata.fileUUID, version: metadata.version },
        },
      });
    });
    if (
      !row ||
      row.operationId ||
      row.deviceId !== caller.deviceId ||
      row.sha256 !== metadata.sha256 ||
      row.fencingToken !== metadata.fencingToken ||
      String(row.size) !== req.headers["upload-length"]
    ) {
      return null;
    }
    const upload = await this.store.findUpload(row.id);
    if (!upload) return null;
    if (row.state === "UPLOADING" && upload.offset === upload.size) return null;
    return { id: row.id, offset: upload.offset };
  }
}

function answer(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body?: string,
): void {
  res.writeHead(status, { "Tus-Resumable": "1.0.0", ...headers });
  res.end(body);
  req.resume();
}
