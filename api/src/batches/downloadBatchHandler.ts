// POST /download-batches: many staged downloads in one response
// (docs/protocol.md, "Small files in batches"). Every file asked for must be
// staged for the caller (an inbound transfer copied it) before a byte is
// sent; the response is then framed: a head listing each file's size and
// sha256, and their bytes in that order. The client checks each file's
// sha256, as it does for a single download.
import { readFile, stat } from "node:fs/promises";
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
import { chunksOf } from "../database/statementChunks.ts";
import { isMissingFile } from "../errors/missingFile.ts";
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
    for (const chunk of chunksOf(files)) {
      const rows = await services.db.inboundStagedFile.findMany({
        where: { userId: caller.userId, OR: chunk.map((file) => ({ fileUUID: file.fileUUID, version: file.version })) },
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
  // All at once: each is a round trip to the thread pool, and a file at a time left the disk idle.
  const sizes = await Promise.all(paths.map((path) => stagedSize(path)));
  for (const [position, file] of head.files.entries()) {
    const size = sizes[position];
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

async function stagedSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if (isMissingFile(error)) return null;
    throw error;
  }
}

/** Files read ahead of the response: each small file costs an open, a read and a close, which overlap. */
const readAhead = 8;

async function* responseBody(
  frame: Uint8Array,
  files: BatchDownloadFile[],
  paths: string[],
): AsyncGenerator<Uint8Array> {
  yield frame;
  const reads: Promise<Buffer>[] = [];
  let next = 0;
  const readMore = () => {
    for (; next < paths.length && reads.length < readAhead; next++) {
      const read = readStaged(paths[next]!, files[next]!);
      read.catch(() => {}); // awaited in turn below; a response cut before then leaves it unawaited
      reads.push(read);
    }
  };
  readMore();
  while (reads.length > 0) {
    const bytes = await reads.shift()!;
    readMore();
    yield bytes;
  }
}

/** A batch's file is at most batchMaxFileBytes: read whole. Its length was announced in the head, so it must match. */
async function readStaged(path: string, file: BatchDownloadFile): Promise<Buffer> {
  const bytes = await readFile(path);
  if (bytes.byteLength !== file.size) {
    throw new Error(`the staged download of ${file.fileUUID} v${file.version} changed size while being sent`);
  }
  return bytes;
}
