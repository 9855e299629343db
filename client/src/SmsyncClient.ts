// The SDK's public API (docs/client-design.md, "Parts"): what an app calls.
// The queues' rules are in queues/uploadsBeingPrepared.ts, the sync pass in
// engine/SyncEngine.ts; this class wires them to one store, one urql client
// and one outbox, and gives the app typed events.
//
// The shared part (queues, status, reset, lifecycle) is ClientBase.ts; this
// file adds Node's file handling (platform/nodePlatform.ts) and the uploads
// of files by path.
//
// uploadFile (a file the app may change later) copies the bytes into a
// client-owned folder (<workDir>/uploads) while hashing them, so what is
// uploaded is exactly what was queued; uploadImmutableFile hashes in place
// and uploads from the app's path; uploadData keeps the bytes in the store
// (base64; for small payloads).
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  ClientBase,
  connectClient,
  type ClientBaseOptions,
  type ClientParts,
  type UploadOptions,
} from "./ClientBase.ts";
import { SmsyncClientError } from "./errors.ts";
import type { DownloadedFile } from "./platform/EnginePlatform.ts";
import { renameDurably } from "./platform/durableFiles.ts";
import { NodePlatform } from "./platform/nodePlatform.ts";
import { ClientUsageError } from "./queues/ClientUsageError.ts";
import { queueUpload } from "./queues/uploadsBeingPrepared.ts";

export type { UploadOptions, LocalFileStatus, ClientEvents } from "./ClientBase.ts";

export interface SmsyncClientOptions extends ClientBaseOptions<DownloadedFile> {
  /** A folder the client owns: staged downloads and copies of queued uploads (default: a folder under the OS temp dir). */
  workDir?: string;
}

export class SmsyncClient extends ClientBase<DownloadedFile> {
  private constructor(
    options: SmsyncClientOptions,
    parts: ClientParts<DownloadedFile>,
    private readonly workDir: string,
  ) {
    super(options, parts);
  }

  static async open(options: SmsyncClientOptions): Promise<SmsyncClient> {
    const workDir =
      options.workDir ??
      path.join(
        tmpdir(),
        "smsync-client",
        createHash("sha256").update(`${options.serverUrl}\n${options.token}`).digest("hex").slice(0, 16),
      );
    const platform = new NodePlatform(workDir);
    await platform.prepare();
    return new SmsyncClient(options, await connectClient(options, platform), workDir);
  }

  /** Queues an upload of a file the app may change later: its bytes are copied now (and hashed), and the copy is uploaded. */
  async uploadFile(fileUUID: string, filePath: string, options: UploadOptions): Promise<void> {
    this.checkUsable();
    const copy = path.join(this.workDir, "uploads", `${fileUUID}.${randomUUID()}`);
    this.engine.copiesBeingQueued.add(copy);
    try {
      const { sha256, size } = await hashFile(filePath, copy);
      await queueUpload(this.options.store, this.prepared(fileUUID, { path: copy }, sha256, size, false, options));
    } catch (error) {
      await rm(copy, { force: true });
      await rm(`${copy}.tmp`, { force: true });
      throw error;
    } finally {
      this.engine.copiesBeingQueued.delete(copy);
    }
  }

  /** Queues an upload of a file the app promises not to change until it is uploaded: hashed in place, no copy. */
  async uploadImmutableFile(fileUUID: string, filePath: string, options: UploadOptions): Promise<void> {
    this.checkUsable();
    const { sha256, size } = await hashFile(filePath, null);
    await queueUpload(this.options.store, this.prepared(fileUUID, { path: filePath }, sha256, size, true, options));
  }
}

/** sha256 and size of a file, streamed; with `copyTo`, the bytes are also written there (temp file, then renamed). */
async function hashFile(filePath: string, copyTo: string | null): Promise<{ sha256: string; size: number }> {
  try {
    const info = await stat(filePath);
    if (!info.isFile()) throw new ClientUsageError("NOT_A_FILE", `${filePath} is not a file`);
  } catch (error) {
    if (error instanceof SmsyncClientError) throw error;
    throw new ClientUsageError("NOT_A_FILE", `${filePath} cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const hash = createHash("sha256");
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  if (copyTo) {
    const temp = `${copyTo}.tmp`;
    // Durable before the upload is queued: the queue is durable, and names this copy.
    await pipeline(createReadStream(filePath), hasher, createWriteStream(temp, { flush: true }));
    await renameDurably(temp, copyTo);
  } else {
    await pipeline(createReadStream(filePath), hasher, async function* (source) {
      for await (const _chunk of source) {
        // drained
      }
    });
  }
  return { sha256: hash.digest("hex"), size };
}
