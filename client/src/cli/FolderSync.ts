// A local folder kept in sync with the account's files by one open client:
// what `smsync sync DIR` runs a few passes of and `smsync watch DIR` keeps
// open. Local changes are found by content hash against the folder's
// manifest and queued (new files get a new fileUUID; a path's cloud name is
// the path with "/" escaped); others' changes arrive through the engine's
// callbacks and are written into the folder atomically.
//
// The manifest is shared by the scan (scanAndQueue) and the engine's
// callbacks (downloads, deletions, conflict copies). `smsync sync` runs them
// one after the other; under `smsync watch` a pass runs while the folder
// changes, so both take the folder's mutex: a scan never reads the manifest
// half way through a group of downloads, nor a download the manifest of a
// half-queued scan.
import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { Mutex } from "async-mutex";
import { CloudFileNameIndex, cloudNameToPath, pathToCloudName } from "@smsync/protocol";
import { SmsyncClient, type FileToUpload } from "../SmsyncClient.ts";
import type { ConflictResolution, DownloadedFile } from "../engine/SyncEngine.ts";
import { pendingChanges } from "../engine/localFiles.ts";
import type { Conflict, IndexEntry } from "../engine/planDownloads.ts";
import {
  copyFileDurably,
  makeDirectoryDurably,
  renameDurably,
  syncDirectory,
  writeSmallFileDurably,
} from "../platform/durableFiles.ts";
import { sha256OfFile } from "../platform/hashedCopies.ts";
import { promised } from "../promised.ts";
import type { LocalFile } from "../queues/records.ts";
import { SqliteStore } from "../store/SqliteStore.ts";
import { describeActivity, type ConflictPolicy, type FolderActivity } from "./folderActivity.ts";
import { writeDownloads } from "./folderDownloads.ts";
import { FolderIgnore } from "./folderIgnore.ts";
import { FolderManifest } from "./folderManifest.ts";
import { scanFolder, stateFolderName, type AddedFile } from "./folderScan.ts";
import { queueFolderUploads } from "./folderUploads.ts";
import { trustedMtime } from "./racyTimestamps.ts";
import { findLocalRenames } from "./localRenames.ts";
import { removalTime, type ChangeSettling } from "./settling.ts";
import type { ServerFile } from "./serverCheck.ts";
import type { SyncSummary } from "./syncSummary.ts";
import type { TransferTracker } from "./transferTracker.ts";

export type { ConflictPolicy };

export interface FolderSyncOptions {
  dir: string;
  server: string;
  token: string;
  conflict: ConflictPolicy;
  /** Shows the steps and the transfers to a person (stderr); silent when undefined. */
  progress?: Pick<TransferTracker, "log" | "expect" | "watch" | "close">;
  /** Told of each thing done to the folder or queued from it (`smsync watch --json` prints them). */
  onActivity?: (activity: FolderActivity) => void;
  /** The server's file index as it was just before (for the progress: what is about to come down). */
  serverFiles?: ServerFile[];
}

/** What a scan queued, and what it left for later: files still being written, or paths that moved a moment ago. */
export interface ScanRound {
  /** Local changes queued (uploads, renames, deletions). */
  queued: number;
  /** Changes seen but left for a later scan, as they are not settled yet. */
  unsettled: number;
  /** How long until the last of those has settled: the time to scan again. */
  settledInMs: number;
}

export interface ScanOptions {
  /**
   * Which changes are too recent to take (settling.ts): a file, or the
   * folder a deleted path was in, that changed a moment ago is left for a
   * later scan, so that a file still being written does not go up half
   * written, and an editor's save (the old file renamed away, the new one
   * written) is not taken for a deletion.
   */
  settling?: Pick<ChangeSettling, "settleMs" | "isUnsettled" | "settledInMs" | "holdsBack">;
}

/** A file the scan found to upload: new (with a new fileUUID; its sha256 maybe not known yet), renamed (`from`), or changed. */
type UploadCandidate = AddedFile & { fileUUID: string; isNew?: boolean; from?: string };

function conflictCopyName(relativePath: string, now = new Date()): string {
  const { dir, name, ext } = path.posix.parse(relativePath);
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  return path.posix.join(dir, `${name} (conflict ${stamp})${ext}`);
}

export function emptySummary(): SyncSummary {
  return {
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
}

export class FolderSync {
  readonly summary = emptySummary();
  private readonly folderMutex = new Mutex();
  private readonly notSynced = new Map<string, string>();
  private readonly liveServerNames: CloudFileNameIndex<ServerFile>;
  /** The folder's ignore rules: one object, which the watcher reloads in place when .smsyncignore changes. */
  readonly ignore: FolderIgnore;
  private client!: SmsyncClient;
  private store!: SqliteStore;
  /** Files this folder's scans queued a change of, still maybe pending: the only ones a delivery must check again. */
  private readonly queuedByScans = new Set<string>();

  private constructor(
    private readonly options: FolderSyncOptions,
    readonly root: string,
    private readonly manifest: FolderManifest,
  ) {
    this.liveServerNames = new CloudFileNameIndex((options.serverFiles ?? []).filter((file) => !file.deleted));
    this.ignore = FolderIgnore.load(root);
  }

  /** Opens the folder's store and client (the state in DIR/.smsync); close() closes both. */
  static async open(options: FolderSyncOptions): Promise<FolderSync> {
    const root = path.resolve(options.dir);
    const stateDir = path.join(root, stateFolderName);
    await makeDirectoryDurably(stateDir);
    const folder = new FolderSync(options, root, FolderManifest.load(stateDir));
    const store = await SqliteStore.open(path.join(stateDir, "client.db"));
    folder.store = store;
    folder.client = await SmsyncClient.open({
      serverUrl: options.server,
      token: options.token,
      store,
      workDir: path.join(stateDir, "work"),
      callbacks: {
        saveDownload: (file) => folder.saveDownloads([file]),
        saveDownloads: (files) => folder.saveDownloads(files),
        heldContent: (file) => folder.heldContent(file),
        applyDeletions: (files) => folder.applyDeletions(files),
        resolveConflict: (conflict) => folder.resolveConflict(conflict),
      },
    });
    options.progress?.watch(folder.client);
    folder.expectDownloads();
    return folder;
  }

  get smsync(): SmsyncClient {
    return this.client;
  }

  /**
   * One scan of the folder: its new, changed, renamed and deleted files
   * queued and committed as one batch (the next pass uploads it).
   */
  scanAndQueue(options: ScanOptions = {}): Promise<ScanRound> {
    return this.folderMutex.runExclusive(() => this.scanAndQueueExclusive(options));
  }

  private async scanAndQueueExclusive({ settling }: ScanOptions): Promise<ScanRound> {
    const { manifest, root } = this;
    const scanned = await scanFolder(root, manifest.entries, this.ignore);
    // A file by the later of its times (a rename into place moves only ctime); a deletion by its folder's.
    const folderTimes = new Map<string, number>();
    const changedAt = (file: { relativePath: string; mtimeMs?: number; ctimeMs?: number }) =>
      file.mtimeMs === undefined
        ? removalTime(root, file.relativePath, folderTimes)
        : Math.max(file.mtimeMs, file.ctimeMs ?? 0);
    const unsettledTimes: number[] = [];
    const settled = <F extends { relativePath: string; mtimeMs?: number; ctimeMs?: number }>(files: F[]) =>
      files.filter((file) => {
        const at = settling ? changedAt(file) : 0;
        if (!settling?.isUnsettled(at)) return true;
        unsettledTimes.push(at);
        return false;
      });
    const deletedNow = settled(scanned.deleted);
    // A new file that may be the new name of a path whose deletion has not settled (its folder changed again
    // since) waits for it: taken alone, a rename would go up as a new file and a deletion.
    const takenDeletions = new Set(deletedNow);
    const pendingDeletionSizes = new Set(
      scanned.deleted.filter((file) => !takenDeletions.has(file)).map((file) => manifest.get(file.relativePath)?.size),
    );
    const addedNow = settled(scanned.added.filter((file) => !this.notSynced.has(file.relativePath)));
    const changes = {
      added: addedNow.filter((file) => !pendingDeletionSizes.has(file.size)),
      changed: settled(scanned.changed),
      deleted: deletedNow,
    };
    const unsettled = unsettledTimes.length + addedNow.length - changes.added.length;
    const settledInMs = settling?.settledInMs(unsettledTimes) ?? 0;
    if (settling?.holdsBack(unsettled > 0)) {
      const seen = scanned.added.length + scanned.changed.length + scanned.deleted.length;
      return { queued: 0, unsettled: seen, settledInMs };
    }
    const { renamed, added, deleted } = findLocalRenames(changes, (relativePath) => manifest.get(relativePath)?.sha256);
    const trusted = (file: { mtimeMs: number }) => trustedMtime(file.mtimeMs, scanned.startedAtMs);
    // Hashed again and found the same (touched, or its time was too recent to trust): its time is recorded now.
    const refreshed = scanned.unchanged.filter((file) => manifest.get(file.relativePath)?.mtimeMs !== trusted(file));
    for (const file of refreshed)
      manifest.set(file.relativePath, { ...manifest.get(file.relativePath)!, mtimeMs: trusted(file) });
    const uploads: UploadCandidate[] = [
      ...added.map((file) => ({ ...file, fileUUID: randomUUID(), isNew: true })),
      ...renamed,
      ...changes.changed,
    ];
    if (uploads.length + deleted.length === 0) {
      if (refreshed.length > 0) await manifest.save();
      return { queued: 0, unsettled, settledInMs };
    }
    const toQueue: (UploadCandidate & FileToUpload)[] = [];
    for (const file of uploads) {
      const cloudFileName = pathToCloudName(file.relativePath);
      // The client knows the server's names only after its first sync: a new file is checked against the index too.
      const owner = file.isNew ? this.liveServerNames.owner(file.fileUUID, cloudFileName, undefined) : undefined;
      if (owner) file.sha256 ??= await sha256OfFile(path.join(root, file.relativePath), file.size);
      if (owner && owner.sha256 === file.sha256) {
        // The same content under the same name (a copy of the folder): it is that file, not a new one.
        manifest.set(file.relativePath, {
          fileUUID: owner.fileUUID,
          sha256: owner.sha256,
          size: file.size,
          mtimeMs: trusted(file),
        });
        continue;
      }
      if (owner) {
        this.refuse(
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
    let vanished = 0;
    const queued = await queueFolderUploads(this.client, toQueue, (file, error) => {
      // Gone since the scan (a temporary file, a save in progress): the next scan sees what became of it.
      if (error.code === "NOT_A_FILE") vanished++;
      else this.refuse(file.relativePath, error.message);
    });
    for (const file of queued) {
      if (file.from) manifest.delete(file.from);
      manifest.set(file.relativePath, {
        fileUUID: file.fileUUID,
        sha256: file.sha256,
        size: file.size,
        mtimeMs: trusted(file),
      });
      this.queuedByScans.add(file.fileUUID);
      this.summary.uploaded++;
      this.summary.bytesUploaded += file.size;
      this.options.progress?.expect("upload", file.fileUUID, file.relativePath, file.size);
      this.tell({
        type: "uploading",
        path: file.relativePath,
        bytes: file.size,
        ...(file.from ? { from: file.from } : {}),
      });
    }
    for (const file of deleted) {
      await this.client.deleteFile(file.fileUUID);
      manifest.delete(file.relativePath);
      this.queuedByScans.add(file.fileUUID);
      this.summary.deleted++;
      this.tell({ type: "deleting", path: file.relativePath });
    }
    await manifest.save();
    await this.client.commit();
    // A file gone since the scan is looked at again a settle time later, when what became of it is settled.
    const settledOrVanishedInMs = vanished > 0 ? Math.max(settledInMs, settling?.settleMs ?? 0) : settledInMs;
    return {
      queued: queued.length + deleted.length,
      unsettled: unsettled + vanished,
      settledInMs: settledOrVanishedInMs,
    };
  }

  async close(): Promise<void> {
    this.options.progress?.close();
    await this.client.close({ closeStore: true });
  }

  private tell(activity: FolderActivity): void {
    this.options.progress?.log(describeActivity(activity));
    this.options.onActivity?.(activity);
  }

  private refuse(relativePath: string, reason: string): void {
    this.notSynced.set(relativePath, reason);
    this.summary.notSynced = [...this.notSynced].map(([notSyncedPath, why]) => ({ path: notSyncedPath, reason: why }));
    this.tell({ type: "notSynced", path: relativePath, reason });
  }

  /** What the folder lacks of the index will come down (an estimate for the progress's totals; the engine decides). */
  private expectDownloads(): void {
    for (const file of this.options.serverFiles ?? []) {
      const local = this.manifest.pathOf(file.fileUUID);
      if (file.deleted || (local !== undefined && this.manifest.get(local)?.sha256 === file.sha256)) continue;
      this.options.progress?.expect("download", file.fileUUID, cloudNameToPath(file.cloudFileName), file.size);
    }
  }

  private saveDownloads(delivered: DownloadedFile[]): Promise<void> {
    return this.folderMutex.runExclusive(async () => {
      // The engine handed these over having found no local change of them; a scan may have queued one since,
      // while this call waited for the folder. The store is read only for files a scan queued (it reads every
      // pending change: not for each group of a large download).
      const candidates = delivered.filter((file) => this.queuedByScans.has(file.fileUUID));
      const pending = candidates.length > 0 ? await pendingChanges(this.store) : new Map<string, unknown>();
      for (const file of candidates) if (!pending.has(file.fileUUID)) this.queuedByScans.delete(file.fileUUID);
      for (const file of delivered.filter((candidate) => pending.has(candidate.fileUUID))) {
        await this.keepBesideQueuedChange(file);
      }
      const files = delivered.filter((file) => !pending.has(file.fileUUID));
      // Local changes the scan has not queued yet, at the paths these downloads replace: kept as the policy says.
      const putBack: { relativePath: string; aside: string }[] = [];
      for (const file of files) {
        const paths = new Set([cloudNameToPath(file.cloudFileName), this.manifest.pathOf(file.fileUUID)]);
        for (const relativePath of paths) {
          // A local file left out of the sync (its name refused) is not replaced: the download is placed beside it.
          if (relativePath === undefined || this.notSynced.has(relativePath)) continue;
          const local = await this.unqueuedChangeAt(relativePath);
          // The same bytes as the download (the same edit made on both sides) are no conflict.
          if (local === null || local === file.sha256) continue;
          const aside = await this.keepUnqueuedChange(relativePath);
          if (aside) putBack.push({ relativePath, aside });
        }
      }
      const folder = { root: this.root, manifest: this.manifest, notSynced: this.notSynced };
      const writtenHere = await writeDownloads(folder, files);
      // keep-local: this device's content goes back over the server's version; the next scan uploads it.
      for (const { relativePath, aside } of putBack) {
        await renameDurably(path.join(this.root, aside), path.join(this.root, relativePath));
      }
      for (const written of writtenHere) {
        if (written.conflictCopy) this.summary.conflicts++;
        this.summary.downloaded++;
        this.summary.bytesDownloaded += written.size;
        this.tell({
          type: "downloaded",
          path: written.relativePath,
          bytes: written.size,
          ...(written.conflictCopy ? { insteadOf: written.wanted } : {}),
        });
      }
    });
  }

  private applyDeletions(files: IndexEntry[]): Promise<void> {
    return this.folderMutex.runExclusive(async () => {
      // Each folder a file left is fsynced once, after all of them: a folder deleted elsewhere with thousands of
      // files in it costs one fsync, not one a file. The manifest is saved after that.
      const touched = new Set<string>();
      for (const file of files) {
        const relativePath = this.manifest.pathOf(file.fileUUID);
        if (!relativePath) continue;
        if (this.options.conflict !== "accept-remote" && (await this.unqueuedChangeAt(relativePath)) !== null) {
          // Changed here since the scan, deleted elsewhere: the change is kept, as a new file the next scan uploads.
          this.manifest.delete(relativePath);
          this.summary.conflicts++;
          this.tell({ type: "conflict", path: relativePath, resolution: this.options.conflict });
          continue;
        }
        const fullPath = path.join(this.root, relativePath);
        await rm(fullPath, { force: true });
        touched.add(path.dirname(fullPath));
        this.manifest.delete(relativePath);
        this.summary.removedLocally++;
        this.tell({ type: "removed", path: relativePath });
      }
      for (const folder of touched) await syncDirectory(folder);
      await this.manifest.save();
    });
  }

  private resolveConflict(conflict: Conflict): Promise<ConflictResolution> {
    return this.folderMutex.runExclusive(async () => {
      this.summary.conflicts++;
      const relativePath = this.manifest.pathOf(conflict.fileUUID);
      const name = relativePath ?? conflict.fileUUID;
      if (this.options.conflict === "keep-local") {
        this.tell({ type: "conflict", path: name, resolution: "keep-local" });
        return "keep-local";
      }
      if (this.options.conflict === "keep-both" && conflict.local === "upload" && relativePath) {
        // Keep this device's content as a new file beside the server's version.
        const copy = conflictCopyName(relativePath);
        await copyFileDurably(
          path.join(this.root, relativePath),
          path.join(this.root, copy),
          path.join(this.root, `${copy}.smsync-tmp`),
        );
        this.tell({ type: "conflict", path: relativePath, resolution: "keep-both", keptAs: copy });
      } else {
        this.tell({ type: "conflict", path: name, resolution: "accept-remote" });
      }
      return "accept-remote";
    });
  }

  /**
   * The sha256 of the file at this path when it is not what the manifest
   * recorded (null otherwise): a local change no scan has queued yet (under
   * `smsync watch` the folder changes while a pass runs; under `smsync
   * sync`, a person may edit meanwhile). A file the manifest does not know
   * is a new local file.
   */
  private async unqueuedChangeAt(relativePath: string): Promise<string | null> {
    const fullPath = path.join(this.root, relativePath);
    const info = statSync(fullPath, { throwIfNoEntry: false });
    if (!info?.isFile()) return null;
    const known = this.manifest.get(relativePath);
    if (known && info.size === known.size && info.mtimeMs === known.mtimeMs) return null;
    const sha256 = await sha256OfFile(fullPath, info.size);
    return sha256 === known?.sha256 ? null : sha256;
  }

  /**
   * The server's version of a file arrived after a scan queued a change of
   * the file here: the queued change goes up as the file's next version, and
   * the server's version is kept beside it as a conflict copy (a new file
   * the next scan uploads). Neither is lost, whatever the policy: the
   * queued change can no longer be taken back.
   */
  private async keepBesideQueuedChange(file: DownloadedFile): Promise<void> {
    const relativePath = this.manifest.pathOf(file.fileUUID) ?? cloudNameToPath(file.cloudFileName);
    const copy = conflictCopyName(relativePath);
    const target = path.join(this.root, copy);
    await makeDirectoryDurably(path.dirname(target));
    if (file.bytes) {
      await writeSmallFileDurably(`${target}.smsync-tmp`, file.bytes);
      await renameDurably(`${target}.smsync-tmp`, target);
    } else {
      await copyFileDurably(file.path, target, `${target}.smsync-tmp`);
    }
    this.summary.conflicts++;
    this.tell({ type: "conflict", path: relativePath, resolution: "keep-both", serverVersionAs: copy });
  }

  /**
   * A download is about to replace a local change no scan has queued: with
   * accept-remote it is replaced; with keep-both, or for a new local file
   * of the same name, it is renamed to a conflict copy (a new file the next
   * scan uploads); with keep-local it is set aside, and returned, to go back
   * over the server's version once that is written.
   */
  private async keepUnqueuedChange(relativePath: string): Promise<string | undefined> {
    const known = this.manifest.get(relativePath) !== undefined;
    const policy = known ? this.options.conflict : "keep-both";
    this.summary.conflicts++;
    if (policy === "accept-remote") {
      this.tell({ type: "conflict", path: relativePath, resolution: policy });
      return undefined;
    }
    const aside =
      policy === "keep-both" ? conflictCopyName(relativePath) : `${relativePath}.${randomUUID()}.smsync-tmp`;
    await renameDurably(path.join(this.root, relativePath), path.join(this.root, aside));
    this.tell({
      type: "conflict",
      path: relativePath,
      resolution: policy,
      ...(policy === "keep-both" ? { keptAs: aside } : {}),
    });
    return policy === "keep-local" ? aside : undefined;
  }

  /** A new version of a large file is built from the folder's copy: only the blocks that differ come down. */
  private heldContent(file: LocalFile) {
    return promised(() => {
      const relativePath = this.manifest.pathOf(file.fileUUID);
      return relativePath ? path.join(this.root, relativePath) : null;
    });
  }
}
