// Files of a batch upload sent as deltas (docs/protocol.md, "Changed files as
// deltas"): checked against the index before a byte is written, then rebuilt
// into staging from ranges of the base version's cloud object and the
// literal bytes of the request. The rebuilt bytes are hashed as they are
// written, like any other file of the batch, and must match its sha256.
import { isCopyOp, type FileDelta, type ReadBatchUploadFile } from "@smsync/protocol";
import type { CloudStorage } from "../cloud/CloudStorage.ts";
import { chunksOf } from "../database/statementChunks.ts";
import type { Transaction } from "../database/client.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import type { FramedStreamReader } from "@smsync/protocol";
import { framedBytes } from "./batchRequests.ts";

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

/** The bytes a delta rebuilds, in order: ranges read from the base's cloud object, literal bytes from the request. */
export async function* rebuiltBytes(
  cloud: CloudStorage,
  userId: string,
  base: DeltaBase,
  delta: FileDelta,
  body: FramedStreamReader,
): AsyncGenerator<Uint8Array> {
  for (const op of delta.ops) {
    if (!isCopyOp(op)) {
      yield* framedBytes(body, op.literal);
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
      yield bytes;
    }
    // A base shorter than the index says: the rebuilt file would be wrong, and its sha256 check would say so later.
    if (read !== length) {
      throw new SmsyncError("INTERNAL", `the base of a delta gave ${read} bytes of ${length} at offset ${offset}`);
    }
  }
}
