// Removes what staging no longer needs: uploads never committed within the
// upload expiry, bytes whose upload row is gone (discarded, terminated, or
// left by a crash), partial inbound copies left by a crash, staged downloads
// past the inbound expiry, and staged downloads whose row is gone. `uploads`
// counts the stray files. Its removals are not fsynced: a file that comes
// back after a power loss is stray again, and swept again.
import type { Stats } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { isMissingFile } from "../errors/missingFile.ts";
import type { Services } from "../services.ts";

// Files younger than this may belong to an upload whose row is being written.
const orphanGraceMs = 60_000;

/**
 * How long ago a file was last touched: written, or given a new name. A
 * staged download linked from a cloud object keeps the object's old mtime,
 * but the link and the rename into place set its ctime: by mtime alone a
 * file just staged, not yet recorded, would look old enough to sweep.
 */
function ageMs(info: Stats, now: Date): number {
  return now.getTime() - Math.max(info.mtimeMs, info.ctimeMs);
}

/** A file's stat, or null when it is gone (tus or a transfer removed it since the directory was read). */
async function statIfPresent(file: string) {
  try {
    return await stat(file);
  } catch (error) {
    if (isMissingFile(error)) return null;
    throw error;
  }
}

/** A user's inbound directory's entries: none when it is gone, or is not a directory (nothing of ours then). */
async function entriesIfDirectory(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isMissingFile(error) || (error as NodeJS.ErrnoException).code === "ENOTDIR") return [];
    throw error;
  }
}

export async function sweepStaging(
  services: Services,
  now = services.clock.now(),
): Promise<{ uploads: number; inbound: number }> {
  const { db, staging, config } = services;
  const uploadCutoff = new Date(now.getTime() - config.uploadExpirySeconds * 1000);
  await db.$transaction((tx) =>
    tx.stagedUpload.deleteMany({ where: { operationId: null, createdAt: { lt: uploadCutoff } } }),
  );
  const live = new Set((await db.stagedUpload.findMany({ select: { id: true } })).map((row) => row.id));
  let uploads = 0;
  for (const entry of await readdir(staging.uploadsDir)) {
    const id = entry.replace(/\.json$/, "");
    if (live.has(id)) continue;
    const file = path.join(staging.uploadsDir, entry);
    const info = await statIfPresent(file);
    if (!info || ageMs(info, now) < orphanGraceMs) continue;
    await rm(file, { force: true });
    uploads++;
  }

  const inboundCutoff = new Date(now.getTime() - config.inboundExpirySeconds * 1000);
  const expired = await db.inboundStagedFile.findMany({ where: { createdAt: { lt: inboundCutoff } } });
  for (const file of expired) {
    await db.$transaction((tx) =>
      tx.inboundStagedFile.deleteMany({
        where: { userId: file.userId, fileUUID: file.fileUUID, version: file.version, createdAt: file.createdAt },
      }),
    );
    await rm(staging.inboundPath(file.userId, file.fileUUID, file.version), { force: true });
  }
  // Partial copies of inbound transfers killed mid-copy and never retried, and
  // staged files no row names (the server stopped between removing the row
  // and the file, or a power loss undid the file's removal).
  const staged = await db.inboundStagedFile.findMany({ select: { userId: true, fileUUID: true, version: true } });
  const named = new Set(staged.map((file) => staging.inboundPath(file.userId, file.fileUUID, file.version)));
  for (const userDir of await readdir(staging.inboundDir)) {
    const dir = path.join(staging.inboundDir, userDir);
    for (const entry of await entriesIfDirectory(dir)) {
      const file = path.join(dir, entry);
      if (named.has(file)) continue;
      const info = await statIfPresent(file);
      if (!info || ageMs(info, now) < orphanGraceMs) continue;
      await rm(file, { force: true });
      uploads++;
    }
  }
  return { uploads, inbound: expired.length };
}
