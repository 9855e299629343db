// POST /download-batches: many staged downloads in one response
// (docs/protocol.md, "Small files in batches"). Every file asked for must be
// staged for the caller (an inbound transfer copied it) before a byte is
// sent; the response is then framed: a head listing each file's size and
// sha256, and their bytes in that order. The client checks each file's
// sha256, as it does for a single download.
import { statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import {
  downloadBatchMediaType,
  encodeFrameHead,
  maxBatchHeadBytes,
  readBatchDownloadRequest,
  type BatchDownloadFile,
  type BatchDownloadHead,
} from "@smsync/protocol";
import { readSmallFileSync } from "../content/smallFileReads.ts";
import { chunksOf, filesPerStatement } from "../database/statementChunks.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import type { Services } from "../services.ts";
import { answerBatchRequest, readHead, requireBatchCaller } from "./batchRequests.ts";

export function handleDownloadBatch(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return answerBatchRequest(services, req, res, async (body) => {
    const caller = await requireBatchCaller(services, req);
    const { files } = await readHead(body, maxBatchHeadBytes, readBatchDownloadRequest);
    const { batchMaxFiles, batchMaxBytes } = services.config;
    if (files.length === 0) throw new SmsyncError("BAD_INPUT", "the batch lists no file");
    if (files.length > batchMaxFiles) {
      throw new SmsyncError("PAYLOAD_TOO_LARGE", `a batch holds at most ${batchMaxFiles} files, not ${files.length}`);
    }
    const staged = new Map<string, BatchDownloadFile>();
    // Three parameters a file (fileUUID twice, version).
    for (const chunk of chunksOf(files, filesPerStatement / 2)) {
      const rows = await services.db.inboundStagedFile.findMany({
        // The fileUUID IN lets SQLite find the rows by the primary key: with the OR alone it reads all the user's.
        where: {
          userId: caller.userId,
          fileUUID: { in: chunk.map((file) => file.fileUUID) },
          OR: chunk.map((file) => ({ fileUUID: file.fileUUID, version: file.version })),
        },
      });
      for (const row of rows) {
        staged.set(`${row.fileUUID}/${row.version}`, {
          fileUUID: row.fileUUID,
          version: row.version,
          size: Number(row.size),
          sha256: row.sha256,
        });
      }
    }
    // Another user's file answers exactly like a missing one.
    const head: BatchDownloadHead = {
      files: files.map((file) => {
        const found = staged.get(`${file.fileUUID}/${file.version}`);
        if (!found) {
          throw new SmsyncError(
            "NOT_FOUND",
            `version ${file.version} of file ${file.fileUUID} is not staged: start an inbound transfer first`,
            { fileUUID: file.fileUUID },
          );
        }
        return found;
      }),
    };
    const total = head.files.reduce((sum, file) => sum + file.size, 0);
    if (total > batchMaxBytes) {
      throw new SmsyncError("PAYLOAD_TOO_LARGE", `a batch holds at most ${batchMaxBytes} bytes, not ${total}`);
    }
    await streamFiles(services, caller.userId, head, res);
  });
}

async function streamFiles(
  services: Services,
  userId: string,
  head: BatchDownloadHead,
  res: ServerResponse,
): Promise<void> {
  const paths = head.files.map((file) => services.staging.inboundPath(userId, file.fileUUID, file.version));
  for (const [position, file] of head.files.entries()) {
    const size = stagedSize(paths[position]!);
    if (size !== file.size) {
      // The staged copy is gone or is not what its row says: answered like a missing download, never sent wrong.
      services.logger.error(
        { userId, fileUUID: file.fileUUID, version: file.version, size },
        "a staged download is missing or has another size than recorded",
      );
      throw new SmsyncError("NOT_FOUND", `version ${file.version} of file ${file.fileUUID} is not staged`, {
        fileUUID: file.fileUUID,
      });
    }
  }
  const frame = encodeFrameHead(head);
  const length = frame.byteLength + head.files.reduce((sum, file) => sum + file.size, 0);
  res.writeHead(200, {
    "Content-Type": downloadBatchMediaType,
    "Content-Length": String(length),
    "Cache-Control": "private, no-store",
  });
  // One pipeline for the whole response: one per file would add its listeners to `res` each time.
  await pipeline(responseBody(frame, head.files, paths), res);
}

/** The staged copy's size, null when it is gone. Synchronous, like the reads below (smallFileReads.ts). */
function stagedSize(path: string): number | null {
  const info = statSync(path, { throwIfNoEntry: false });
  return info ? info.size : null;
}

/**
 * The response's bytes: the frame, then each file read whole when its turn
 * comes. A batch's file is at most batchMaxFileBytes, and read with
 * synchronous calls (smallFileReads.ts). Its length was announced in the
 * head, so it must match.
 */
function* responseBody(frame: Uint8Array, files: BatchDownloadFile[], paths: string[]): Generator<Uint8Array> {
  yield frame;
  for (const [position, file] of files.entries()) {
    const bytes = readSmallFileSync(paths[position]!, file.size);
    if (bytes?.byteLength !== file.size) {
      throw new Error(`the staged download of ${file.fileUUID} v${file.version} changed size while being sent`);
    }
    yield bytes;
  }
}
