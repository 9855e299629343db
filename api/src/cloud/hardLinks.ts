// Hard links in place of copies, where the bytes are immutable and both
// names are on one file system: a link shares the file's bytes (and their
// fsync) and costs a directory entry. A link that the file system cannot
// make is not an error: the caller copies instead.
import { linkSync } from "node:fs";

/** Makes `newPath` a second name of `existing` (fs.link); replaceable so that a test can make it fail. */
export type LinkFile = (existing: string, newPath: string) => void | Promise<void>;

/**
 * A synchronous link: a transfer links thousands of files, and the thread
 * pool's round trip costs more CPU than the link (content/smallFileReads.ts
 * says the same of small reads).
 */
export const linkFile: LinkFile = linkSync;

/**
 * Why a link may fail where a copy would not: another file system (EXDEV),
 * one without hard links (EPERM, ENOTSUP, EOPNOTSUPP, ENOSYS), or a file at
 * its link limit (EMLINK).
 */
const copyInstead = new Set(["EXDEV", "EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EMLINK"]);

/** Links `existing` to `newPath`; false when the file system cannot (copy instead). Other failures are thrown. */
export async function linkIfPossible(link: LinkFile, existing: string, newPath: string): Promise<boolean> {
  try {
    await link(existing, newPath);
    return true;
  } catch (error) {
    if (copyInstead.has((error as NodeJS.ErrnoException).code ?? "")) return false;
    throw error;
  }
}
