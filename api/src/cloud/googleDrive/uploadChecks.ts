// The integrity checks every Drive upload makes, whichever way its bytes go
// up: the sha256 of the content against the one declared, before the last
// byte is sent (content that does not match never becomes a Drive file), and
// Drive's md5Checksum of the file it made against the md5 of what was sent
// (a file that does not match is removed).
import { CloudStorageError } from "../CloudStorageError.ts";
import type { DriveApi, DriveFile } from "./DriveApi.ts";

export function checkSha256(sha256: string, expected: string): void {
  if (sha256 !== expected) {
    throw new CloudStorageError(
      "integrity",
      `the content has sha256 ${sha256}, expected ${expected}; not sent to Drive`,
    );
  }
}

/** Drive's md5Checksum against the md5 of the bytes sent; a mismatching file is removed. */
export async function checkMd5(api: DriveApi, userId: string, file: DriveFile, md5: string): Promise<DriveFile> {
  if (file.md5Checksum === md5) return file;
  const mismatch = `Drive reports md5 ${file.md5Checksum} for ${file.id}, the content sent has ${md5}`;
  try {
    if (file.id) await api.delete(userId, file.id);
  } catch (error) {
    // Already gone is what the removal wanted; any other failure leaves the
    // wrong bytes in Drive under this object's key, which must be said.
    if (!(error instanceof CloudStorageError && error.kind === "notFound")) {
      throw new CloudStorageError("integrity", `${mismatch}; removing that file failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  throw new CloudStorageError("integrity", mismatch);
}
