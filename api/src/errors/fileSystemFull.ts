// A write that failed because the file system has no room: ENOSPC (the disk
// is full) or EDQUOT (the disk quota of the server's user is used up). Time
// and the operator fix it, not a retry of the same bytes right away.
const fileSystemFullCodes = new Set(["ENOSPC", "EDQUOT"]);

export function isFileSystemFull(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === "string" && fileSystemFullCodes.has(code);
}
