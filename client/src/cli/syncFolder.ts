// `smsync sync DIR`: two-way sync of a local folder with the account's
// files (FolderSync.ts), in passes that repeat until a scan finds nothing
// new (a download can itself be a change to upload, e.g. the local copy
// kept by a conflict), and then ends.
import path from "node:path";
import { SmsyncClient } from "../SmsyncClient.ts";
import { makeDirectoryDurably } from "../platform/durableFiles.ts";
import { SqliteStore } from "../store/SqliteStore.ts";
import { FolderManifest } from "./folderManifest.ts";
import { stateFolderName } from "./folderScan.ts";
import { FolderSync, type ConflictPolicy, type FolderSyncOptions } from "./FolderSync.ts";
import { ServerUnreachableError } from "./ServerUnreachableError.ts";
import { stopWhenStorageFull } from "./storageFull.ts";
import type { SyncSummary } from "./syncSummary.ts";
import { defaultGiveUpAfterMs, watchUnreachable } from "./unreachableWatch.ts";

export type { ConflictPolicy, SyncSummary };

export interface SyncFolderOptions extends FolderSyncOptions {
  maxPasses?: number;
  /** How long to keep retrying a server that cannot be reached before giving up (default 30 s). */
  giveUpAfterMs?: number;
}

export async function syncFolder(options: SyncFolderOptions): Promise<SyncSummary> {
  const startedAt = performance.now();
  const folder = await FolderSync.open(options);
  const client = folder.smsync;
  const { summary } = folder;
  const storageFull = stopWhenStorageFull(client, (line) => options.progress?.log(line));
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
  try {
    const maxPasses = options.maxPasses ?? 5;
    for (let pass = 0; pass < maxPasses; pass++) {
      const { queued } = await folder.scanAndQueue();
      if (pass > 0 && queued === 0) break;
      summary.passes++;
      await syncOrGiveUp();
    }
    summary.seconds = Math.round(performance.now() - startedAt) / 1000;
    return summary;
  } finally {
    unreachable.stop();
    storageFull.dispose();
    await folder.close();
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
