// A file system call that failed because the file (or a directory on its
// path) is not there: ENOENT. Where absence is an expected answer (a
// best-effort removal, an object never written), it is told apart from every
// other failure, which is thrown on.
export function isMissingFile(error: unknown): error is NodeJS.ErrnoException {
  return (error as NodeJS.ErrnoException | null)?.code === "ENOENT";
}
