// Files of a batch upload sent as deltas (docs/protocol.md, "Changed files as
// deltas"): the block hashes of a live version a device asks for to make
// one; a delta checked against the index before a byte is written, then rebuilt
// into staging from ranges of the base version's cloud object and the
// literal bytes of the request. The rebuilt bytes are hashed as they are
// written, like any other file of the batch, and must match its sha256.
import { open } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  blockSizeFor,
  isCopyOp,
  readFileUUID,
  readVersion,
  UploadMetadataError,
  type FileBlocks,
  type FileDelta,
  type FramedStreamReader,
  type ReadBatchUploadFile,
} from "@smsync/protocol";
import type { CloudStorage } from "../cloud/CloudStorage.ts";
import { chunksOf } from "../database/statementChunks.ts";
import type { Transaction } from "../database/client.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import type { Services } from "../services.ts";
import { BlockHasher } from "./BlockHashCache.ts";
import { answerBatchRequest, framedBytes, readHead, requireBatchCaller, sendJson } from "./batchRequests.ts";

/** The cloud object a delta's copies read. */
export interface DeltaBase {
  objectId: string;
  size: number;
}

/**
 * The base of each delta of the batch, by fileUUID: the file's live version
 * in the index must be the delta's base, and every copy must lie within it.
 * Throws BAD_INPUT naming the file otherwise.
 */
export async function deltaBases(
  tx: Transaction,
  userId: string,
  files: readonly ReadBatchUploadFile[],
): Promise<Map<string, DeltaBase>> {
  const deltas = files.filter((file): file is ReadBatchUploadFile & { delta: FileDelta } => file.delta !== undefined);
  const bases = new Map<string, DeltaBase>();
  for (const chunk of chunksOf(deltas)) {
    const entries = await tx.fileEntry.findMany({
      where: { userId, fileUUID: { in: chunk.map((file) => file.fileUUID) } },
      select: { fileUUID: true, version: true, deleted: true, size: true, cloudObjectId: true },
    });
    const byUUID = new Map(entries.map((entry) => [entry.fileUUID, entry]));
    for (const file of chunk) {
      const entry = byUUID.get(file.fileUUID);
      const { baseVersion } = file.delta;
      if (!entry || entry.deleted || entry.version !== baseVersion || !entry.cloudObjectId) {
        const live = entry && !entry.deleted ? `its live version is ${entry.version}` : "it has no live version";
        throw new SmsyncError(
          "BAD_INPUT",
          `the delta of file ${file.fileUUID} is based on version ${baseVersion}, but ${live}: send the whole file`,
          { fileUUID: file.fileUUID },
        );
      }
      const baseSize = Number(entry.size);
      const outside = file.delta.ops.find((op) => isCopyOp(op) && op.copy[0] + op.copy[1] > baseSize);
      if (outside) {
        throw new SmsyncError(
          "BAD_INPUT",
          `the delta of file ${file.fileUUID} copies ${JSON.stringify(outside)}, beyond the ${baseSize} bytes of version ${baseVersion}`,
          { fileUUID: file.fileUUID },
        );
      }
      bases.set(file.fileUUID, { objectId: entry.cloudObjectId, size: baseSize });
    }
  }
  return bases;
}

/**
 * The bytes a delta rebuilds, in order: ranges read from the base's cloud
 * object, literal bytes from the request. `hasher` takes them too: the new
 * version's block hashes, for the devices that will download it as a delta.
 */
export async function* rebuiltBytes(
  cloud: CloudStorage,
  userId: string,
  base: DeltaBase,
  delta: FileDelta,
  body: FramedStreamReader,
  hasher: BlockHasher,
): AsyncGenerator<Uint8Array> {
  for (const op of delta.ops) {
    if (!isCopyOp(op)) {
      for await (const bytes of framedBytes(body, op.literal)) {
        hasher.update(bytes);
        yield bytes;
      }
      continue;
    }
    const [offset, length] = op.copy;
    let read = 0;
    for await (const piece of await cloud.readObject(userId, base.objectId, {
      start: offset,
      end: offset + length - 1,
    })) {
      const bytes = piece as Uint8Array;
      read += bytes.byteLength;
      hasher.update(bytes);
      yield bytes;
    }
    // A base shorter than the index says: the rebuilt file would be wrong, and its sha256 check would say so later.
    if (read !== length) {
      throw new SmsyncError("INTERNAL", `the base of a delta gave ${read} bytes of ${length} at offset ${offset}`);
    }
  }
}

/**
 * POST /upload-batches/blocks: the sha256 of each block of a file's live
 * version, read from its staged download copy or else from the cloud, so
 * that a device can send a change of it as a delta, or download it as the
 * blocks it lacks. A version that is not live (or another user's file) is
 * NOT_FOUND. Answered from BlockHashCache.ts when the version's hashes are
 * known.
 */
export function handleFileBlocks(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return answerBatchRequest(services, req, res, async (body) => {
    const caller = await requireBatchCaller(services, req);
    const wanted = await readHead(body, 64 * 1024, readFileBlocksRequest);
    const entry = await services.db.fileEntry.findUnique({
      where: { userId_fileUUID: { userId: caller.userId, fileUUID: wanted.fileUUID } },
      select: { version: true, deleted: true, size: true, sha256: true, cloudObjectId: true },
    });
    if (!entry || entry.deleted || entry.version !== wanted.version || !entry.cloudObjectId) {
      throw new SmsyncError("NOT_FOUND", `file ${wanted.fileUUID} has no live version ${wanted.version}`, {
        fileUUID: wanted.fileUUID,
      });
    }
    const size = Number(entry.size);
    const blockSize = blockSizeFor(size);
    const version = { userId: caller.userId, ...wanted, sha256: entry.sha256 };
    let blocks = services.blockHashes.get(version);
    if (!blocks) {
      const content =
        (await stagedInboundCopy(services, caller.userId, wanted)) ??
        (await services.cloud.readObject(caller.userId, entry.cloudObjectId));
      blocks = await blockHashes(content, blockSize);
      services.blockHashes.set(version, blocks);
    }
    sendJson(res, 200, { ...wanted, size, blockSize, blocks } satisfies FileBlocks);
  });
}

/**
 * The version's copy staged for a download, when there is one: a device
 * about to download it asks its blocks, and reading them from the staging
 * disk spares reading the cloud (for Google Drive, the whole file again).
 */
async function stagedInboundCopy(
  services: Services,
  userId: string,
  file: { fileUUID: string; version: number },
): Promise<AsyncIterable<Uint8Array> | null> {
  const staged = await services.db.inboundStagedFile.findUnique({
    where: { userId_fileUUID_version: { userId, ...file } },
    select: { fileUUID: true },
  });
  if (!staged) return null;
  try {
    const handle = await open(services.staging.inboundPath(userId, file.fileUUID, file.version), "r");
    return handle.createReadStream();
  } catch (error) {
    // Expired and removed since the row was read: the cloud has the version.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function readFileBlocksRequest(head: unknown): { fileUUID: string; version: number } {
  const { fileUUID, version } = (typeof head === "object" && head !== null ? head : {}) as Record<string, unknown>;
  if (typeof fileUUID !== "string" || typeof version !== "number") {
    throw new UploadMetadataError("the request must be an object with fileUUID and version");
  }
  return { fileUUID: readFileUUID(fileUUID), version: readVersion(version) };
}

/** The sha256 of each block of a stream, in order. */
async function blockHashes(content: AsyncIterable<Uint8Array>, blockSize: number): Promise<string[]> {
  const hasher = new BlockHasher(blockSize);
  for await (const piece of content) hasher.update(piece);
  return hasher.finish();
}
