// POST /upload-batches: many small files staged by one request
// (docs/protocol.md, "Small files in batches"). The head lists the files;
// every file is checked against the file index, the caller's lock and the
// user's staging quota before a byte is written, so a bad batch writes
// nothing. The bytes are then written into staging file by file, each
// checked by its sha256, and recorded in groups: one fsync of the directory and one transaction per
// group. A request cut mid-way keeps the groups it recorded; the client asks
// POST /upload-batches/held which files the server holds, and sends the rest.
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  blockSizeFor,
  maxBatchHeadBytes,
  readBatchUploadHead,
  sentBytesOf,
  type FramedStreamReader,
  type ReadBatchUploadFile,
} from "@smsync/protocol";
import type { Caller } from "../auth/deviceTokens.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import { crashPoint } from "../faults/crashPoints.ts";
import { checkUploadsAgainstIndex } from "../fileIndex/fileIndex.ts";
import { requireIdleLock } from "../locks/locks.ts";
import type { Services } from "../services.ts";
import { requireStagingRoom } from "../staging/stagingQuota.ts";
import { answerBatchRequest, framedBytes, readHead, requireBatchCaller, sendJson } from "./batchRequests.ts";
import { heldUploads, recordStagedGroup, type StagedFile } from "./stagedGroups.ts";
import { BlockHasher } from "./BlockHashCache.ts";
import { StagingFileWriter } from "./StagingFileWriter.ts";
import { deltaBases, rebuiltBytes, type DeltaBase } from "./fileDeltas.ts";

/** Files recorded per transaction: a cut request loses at most this many files' bytes. */
const filesPerGroup = 100;

export function handleUploadBatch(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return answerBatchRequest(services, req, res, async (body) => {
    const caller = await requireBatchCaller(services, req);
    const { fencingToken, files } = await readHead(body, maxBatchHeadBytes, readBatchUploadHead);
    checkBatchLimits(services, files);
    const batch = { userId: caller.userId, fencingToken };
    const { held, bases } = await services.db.$transaction(async (tx) => {
      await requireIdleLock(tx, caller, fencingToken);
      await checkUploadsAgainstIndex(tx, batch, files);
      await requireStagingRoom(tx, caller.userId, services.config.stagingQuotaBytes, files);
      return { held: await heldUploads(tx, batch, files), bases: await deltaBases(tx, caller.userId, files) };
    });
    const started = performance.now();
    const bytes = await stageFiles(services, caller, fencingToken, files, { held, bases }, body);
    services.logger.info(
      {
        userId: caller.userId,
        deviceId: caller.deviceId,
        files: files.length,
        held: held.size,
        deltas: bases.size,
        bytes,
        ms: Math.round(performance.now() - started),
      },
      "upload batch staged",
    );
    sendJson(res, 200, {
      files: files.map((file) => ({ fileUUID: file.fileUUID, version: file.version, sha256: file.sha256 })),
    });
  });
}

/**
 * Writes and records the files in order (all but the held ones; a delta
 * rebuilt from its base); the bytes written.
 */
async function stageFiles(
  services: Services,
  caller: Caller,
  fencingToken: number,
  files: ReadBatchUploadFile[],
  { held, bases }: { held: Set<string>; bases: Map<string, DeltaBase> },
  body: FramedStreamReader,
): Promise<number> {
  const writer = new StagingFileWriter(services.staging);
  let group: StagedFile[] = [];
  const record = async () => {
    await writer.flush();
    crashPoint("uploadBatch.afterFilesWritten");
    await recordStagedGroup(services, caller, fencingToken, group);
    crashPoint("uploadBatch.afterRecorded");
    group = [];
  };
  let bytes = 0;
  try {
    for (const file of files) {
      if (held.has(file.fileUUID)) {
        for await (const _piece of framedBytes(body, sentBytesOf(file))); // sent again: the held copy stands
        continue;
      }
      const base = bases.get(file.fileUUID);
      const blocks = base && file.delta ? new BlockHasher(blockSizeFor(file.size)) : null;
      const written = await writer.write(
        base && file.delta && blocks
          ? rebuiltBytes(services.cloud, caller.userId, base, file.delta, body, blocks)
          : framedBytes(body, file.size),
      );
      bytes += written.bytes;
      if (written.sha256 !== file.sha256) {
        try {
          await record(); // the files before it (and the write of this one, which is not recorded)
        } finally {
          services.staging.removeUpload(written.uploadId);
        }
        throw new SmsyncError(
          "CHECKSUM_MISMATCH",
          `the bytes of ${file.fileUUID} have sha256 ${written.sha256}, not the declared ${file.sha256}; they were discarded`,
          { fileUUID: file.fileUUID },
        );
      }
      // Kept under the version's sha256: hashes of bytes never committed are never asked for.
      if (blocks) services.blockHashes.set({ userId: caller.userId, ...file }, blocks.finish());
      group.push({ ...file, uploadId: written.uploadId });
      if (group.length === filesPerGroup) await record();
    }
    if (await body.hasMore()) throw new SmsyncError("BAD_INPUT", "the request has more bytes than its head lists");
    await record();
  } catch (error) {
    // What was not recorded is not kept: the client sends it again.
    await writer.settle();
    for (const file of group) services.staging.removeUpload(file.uploadId);
    throw error;
  }
  return bytes;
}

/** The limits count the bytes a request carries: a delta's literal bytes, not the size of the file it rebuilds. */
function checkBatchLimits(services: Services, files: ReadBatchUploadFile[]): void {
  const { batchMaxFiles, batchMaxFileBytes, batchMaxBytes, maxUploadBytes } = services.config;
  if (files.length === 0) throw new SmsyncError("BAD_INPUT", "the batch lists no file");
  if (files.length > batchMaxFiles) {
    throw new SmsyncError("PAYLOAD_TOO_LARGE", `a batch holds at most ${batchMaxFiles} files, not ${files.length}`);
  }
  const large = files.find((file) => sentBytesOf(file) > batchMaxFileBytes);
  if (large) {
    throw new SmsyncError(
      "PAYLOAD_TOO_LARGE",
      `file ${large.fileUUID} sends ${sentBytesOf(large)} bytes; files over ${batchMaxFileBytes} bytes go up over tus`,
      { fileUUID: large.fileUUID },
    );
  }
  const huge = files.find((file) => file.size > maxUploadBytes);
  if (huge) {
    throw new SmsyncError(
      "PAYLOAD_TOO_LARGE",
      `file ${huge.fileUUID} has ${huge.size} bytes; the server takes files of at most ${maxUploadBytes} bytes`,
      { fileUUID: huge.fileUUID },
    );
  }
  const total = files.reduce((sum, file) => sum + sentBytesOf(file), 0);
  if (total > batchMaxBytes) {
    throw new SmsyncError("PAYLOAD_TOO_LARGE", `a batch holds at most ${batchMaxBytes} bytes, not ${total}`);
  }
}

/** POST /upload-batches/held: which of these files the server holds staged, so a cut batch sends only the rest. */
export function handleHeldUploads(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return answerBatchRequest(services, req, res, async (body) => {
    const caller = await requireBatchCaller(services, req);
    const { fencingToken, files } = await readHead(body, maxBatchHeadBytes, readBatchUploadHead);
    checkBatchLimits(services, files);
    const batch = { userId: caller.userId, fencingToken };
    const held = await services.db.$transaction((tx) => heldUploads(tx, batch, files));
    sendJson(res, 200, { held: files.filter((file) => held.has(file.fileUUID)).map((file) => file.fileUUID) });
  });
}
