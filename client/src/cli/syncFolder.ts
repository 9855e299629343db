// `smsync sync DIR`: two-way sync of a local folder with the account's
// files. Local changes are found by content hash against the folder's
// manifest and queued (new files get a new fileUUID; a path's cloud name is
// the path with "/" escaped); others' changes arrive through the engine's
// callbacks and are written into the folder atomically. Passes repeat until
// a scan finds nothing new (a download can itself be a change to upload,
// e.g. the local copy kept by a conflict).
import { randomUUID } from "node:crypto";
import path from "node:path";
import { SmsyncClient, type FileToUpload } from "../SmsyncClient.ts";
import { copyFileDurably, makeDirectoryDurably, removeDurably } from "../platform/durableFiles.ts";
import type { ConflictResolution, DownloadedFile } from "../engine/SyncEngine.ts";
import type { Conflict, IndexEntry } from "../engine/planDownloads.ts";
import { promised } from "../promised.ts";
import type { LocalFile } from "../queues/records.ts";
import { CloudFileNameIndex, cloudNameToPath, pathToCloudName } from "@smsync/protocol";
import { SqliteStore } from "../store/SqliteStore.ts";
import { writeDownloads } from "./folderDownloads.ts";
import { FolderManifest } from "./folderManifest.ts";
import { sha256OfFile } from "../platform/hashedCopies.ts";
import { scanFolder, stateFolderName, type AddedFile } from "./folderScan.ts";
import { queueFolderUploads } from "./folderUploads.ts";
import { findLocalRenames } from "./localRenames.ts";
import type { ServerFile } from "./serverCheck.ts";
import { ServerUnreachableError } from "./ServerUnreachableError.ts";
import { stopWhenStorageFull } from "./storageFull.ts";
import type { TransferTracker } from "./transferTracker.ts";
import type { SyncSummary } from "./syncSummary.ts";
import { defaultGiveUpAfterMs, watchUnreachable } from "./unreachableWatch.ts";

export type ConflictPolicy = "keep-both" | "keep-local" | "accept-remote";
export type { SyncSummary };

export interface SyncFolderOptions {
  dir: string;
  server: string;
  token: string;
  conflict: ConflictPolicy;
  /** Shows the steps and the transfers to a person (stderr); silent when undefined. */
  progress?: Pick<TransferTracker, "log" | "expect" | "watch" | "close">;
  /** The server's file index as it was just before (for the progress: what is about to come down). */
  serverFiles?: ServerFile[];
  maxPasses?: number;
  /** How long to keep retrying a server that cannot be reached before giving up (default 30 s). */
  giveUpAfterMs?: number;
}

/** A file the scan found to upload: new (with a new fileUUID; its sha256 maybe not known yet), renamed (`from`), or changed. */
type UploadCandidate = AddedFile & { fileUUID: string; isNew?: boolean; from?: string };

function conflictCopyName(relativePath: string, now = new Date()): string {
  const { dir, name, ext } = path.posix.parse(relativePath);
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  return path.posix.join(dir, `${name} (conflict ${stamp})${ext}`);
}

export async function syncFolder(options: SyncFolderOptions): Promise<SyncSummary> {
  const root = path.resolve(options.dir);
  const stateDir = path.join(root, stateFolderName);
  await makeDirectoryDurably(stateDir);
  const manifest = FolderManifest.load(stateDir);
  const store = await SqliteStore.open(path.join(stateDir, "client.db"));
  const startedAt = performance.now();
  const summary: SyncSummary = {
    uploaded: 0,
    deleted: 0,
    downloaded: 0,
    removedLocally: 0,
    conflicts: 0,
    passes: 0,
    bytesUploaded: 0,
    bytesDownloaded: 0,
    seconds: 0,
    notSynced: [],
  };
  const notSynced = new Map<string, string>();
  const say = (line: string) => options.progress?.log(line);

  const saveDownloads = async (files: DownloadedFile[]) => {
    for (const written of await writeDownloads({ root, manifest, notSynced }, files)) {
      if (written.conflictCopy) {
        summary.conflicts++;
        say(
          `${written.wanted} would take the place of another file here (paths that differ only in case are one file on macOS and Windows): saved as ${written.relativePath}`,
        );
      }
      summary.downloaded++;
      summary.bytesDownloaded += written.size;
      say(`downloaded ${written.relativePath}`);
    }
  };

  const applyDeletions = async (files: IndexEntry[]) => {
    for (const file of files) {
      const relativePath = manifest.pathOf(file.fileUUID);
      if (!relativePath) continue;
      await removeDurably(path.join(root, relativePath));
      manifest.delete(relativePath);
      summary.removedLocally++;
      say(`removed ${relativePath} (deleted elsewhere)`);
    }
    await manifest.save();
  };

  const resolveConflict = async (conflict: Conflict): Promise<ConflictResolution> => {
    summary.conflicts++;
    const relativePath = manifest.pathOf(conflict.fileUUID);
    if (options.conflict === "keep-local") return "keep-local";
    if (options.conflict === "keep-both" && conflict.local === "upload" && relativePath) {
      // Keep this device's content as a new file beside the server's version.
      const copy = conflictCopyName(relativePath);
      await copyFileDurably(
        path.join(root, relativePath),
        path.join(root, copy),
        path.join(root, `${copy}.smsync-tmp`),
      );
      say(`conflict on ${relativePath}: kept this device's copy as ${copy}`);
    } else {
      say(`conflict on ${relativePath ?? conflict.fileUUID}: took the server's version`);
    }
    return "accept-remote";
  };

  // A new version of a large file is built from the folder's copy: only the blocks that differ come down.
  const heldContent = (file: LocalFile) =>
    promised(() => {
      const relativePath = manifest.pathOf(file.fileUUID);
      return relativePath ? path.join(root, relativePath) : null;
    });

  const client = await SmsyncClient.open({
    serverUrl: options.server,
    token: options.token,
    store,
    workDir: path.join(stateDir, "work"),
    callbacks: {
      saveDownload: (file) => saveDownloads([file]),
      saveDownloads,
      heldContent,
      applyDeletions,
      resolveConflict,
    },
  });
  options.progress?.watch(client);
  const liveServerNames = new CloudFileNameIndex((options.serverFiles ?? []).filter((file) => !file.deleted));
  const storageFull = stopWhenStorageFull(client, say);
  const unreachable = watchUnreachable(client, options.giveUpAfterMs ?? defaultGiveUpAfterMs);
  /** A pass that cannot reach the server is not a sync: stop, and say what is still pending. */
  const syncOrGiveUp = async () => {
    const gaveUp = await Promise.race([client.sync().then(() => false), unreachable.gaveUp.then(() => true)]);
    storageFull.check();
    if (gaveUp || client.mode === "networkNotConnected") {
      summary.seconds = Math.round(performance.now() - startedAt) / 1000;
      throw new ServerUnreachableError(options.server, summary, await client.pendingWork(), {
        cause: unreachable.lastError,
      });
    }
  };
  // What the folder lacks of the index will come down (an estimate for the totals; the engine decides).
  for (const file of options.serverFiles ?? []) {
    const local = manifest.pathOf(file.fileUUID);
    if (file.deleted || (local !== undefined && manifest.get(local)?.sha256 === file.sha256)) continue;
    options.progress?.expect("download", file.fileUUID, cloudNameToPath(file.cloudFileName), file.size);
  }
  try {
    const maxPasses = options.maxPasses ?? 5;
    for (let pass = 0; pass < maxPasses; pass++) {
      const changes = await scanFolder(root, manifest.entries);
      const { renamed, added, deleted } = findLocalRenames(
        { added: changes.added.filter((file) => !notSynced.has(file.relativePath)), deleted: changes.deleted },
        (relativePath) => manifest.get(relativePath)?.sha256,
      );
      const local = added.length + renamed.length + changes.changed.length + deleted.length;
      if (pass > 0 && local === 0) break;
      summary.passes++;
      const uploads: UploadCandidate[] = [
        ...added.map((file) => ({ ...file, fileUUID: randomUUID(), isNew: true })),
        ...renamed,
        ...changes.changed,
      ];
      const notSyncedAs = (relativePath: string, reason: string) => {
        notSynced.set(relativePath, reason);
        summary.notSynced = [...notSynced].map(([notSyncedPath, why]) => ({ path: notSyncedPath, reason: why }));
        say(`not synced: ${relativePath}: ${reason}; rename it`);
      };
      const toQueue: (UploadCandidate & FileToUpload)[] = [];
      for (const file of uploads) {
        const cloudFileName = pathToCloudName(file.relativePath);
        // The client knows the server's names only after its first sync: a new file is checked against the index too.
        const owner = file.isNew ? liveServerNames.owner(file.fileUUID, cloudFileName, undefined) : undefined;
        if (owner) file.sha256 ??= await sha256OfFile(path.join(root, file.relativePath), file.size);
        if (owner && owner.sha256 === file.sha256) {
          // The same content under the same name (a copy of the folder): it is that file, not a new one.
          manifest.set(file.relativePath, {
            fileUUID: owner.fileUUID,
            sha256: owner.sha256,
            size: file.size,
            mtimeMs: file.mtimeMs,
          });
          continue;
        }
        if (owner) {
          notSyncedAs(
            file.relativePath,
            `the account has a file named ${JSON.stringify(cloudNameToPath(owner.cloudFileName))}`,
          );
          continue;
        }
        toQueue.push({
          ...file,
          path: path.join(root, file.relativePath),
          options: {
            cloudFileName,
            mimeType: "application/octet-stream",
            appMetaData: JSON.stringify({ path: file.relativePath }),
          },
        });
      }
      const queued = await queueFolderUploads(client, toQueue, (file, error) =>
        notSyncedAs(file.relativePath, error.message),
      );
      for (const file of queued) {
        if (file.from) manifest.delete(file.from);
        manifest.set(file.relativePath, {
          fileUUID: file.fileUUID,
          sha256: file.sha256,
          size: file.size,
          mtimeMs: file.mtimeMs,
        });
        summary.uploaded++;
        summary.bytesUploaded += file.size;
        options.progress?.expect("upload", file.fileUUID, file.relativePath, file.size);
        say(
          file.from ? `uploading ${file.relativePath} (renamed from ${file.from})` : `uploading ${file.relativePath}`,
        );
      }
      for (const file of deleted) {
        await client.deleteFile(file.fileUUID);
        manifest.delete(file.relativePath);
        summary.deleted++;
        say(`deleting ${file.relativePath}`);
      }
      await manifest.save();
      await client.commit();
      await syncOrGiveUp();
    }
    summary.seconds = Math.round(performance.now() - startedAt) / 1000;
    return summary;
  } finally {
    unreachable.stop();
    storageFull.dispose();
    options.progress?.close();
    await client.close({ closeStore: true });
  }
}

/**
 * `smsync reset DIR`: resetFromError("all") on the folder's client. Local
 * files are untouched; the queued changes are dropped, and the next sync
 * finds the local edits again by scanning.
 */
export async function resetFolder(options: { dir: string; server: string; token: string }): Promise<string> {
  const stateDir = path.join(path.resolve(options.dir), stateFolderName);
  await makeDirectoryDurably(stateDir);
  const store = await SqliteStore.open(path.join(stateDir, "client.db"));
  const refuse = () => Promise.reject(new Error("no sync runs during a reset"));
  const client = await SmsyncClient.open({
    serverUrl: options.server,
    token: options.token,
    store,
    workDir: path.join(stateDir, "work"),
    callbacks: { saveDownload: refuse, applyDeletions: refuse },
  });
  try {
    const mode = client.mode;
    await client.resetFromError("all");
    // What was queued and not uploaded is no longer known to have been synced.
    const manifest = FolderManifest.load(stateDir);
    // The manifest goes back to what the server confirmed: a file never
    // uploaded is new again, a changed one differs again from its confirmed
    // content; an unsent deletion is forgotten (the file comes back).
    const confirmed = new Map((await store.list("files")).map((entry) => [entry.value.fileUUID, entry.value]));
    for (const [relativePath, entry] of Object.entries(manifest.entries)) {
      const file = confirmed.get(entry.fileUUID);
      if (!file || file.deleted) manifest.delete(relativePath);
      else if (file.sha256 !== entry.sha256) manifest.set(relativePath, { ...entry, sha256: file.sha256, mtimeMs: 0 });
    }
    await manifest.save();
    return mode;
  } finally {
    await client.close({ closeStore: true });
  }
}
