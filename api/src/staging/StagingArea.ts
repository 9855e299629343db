// The server's staging area, on a disk shared by the server instances:
//   uploads/   tus uploads (content file named by upload id, plus tus's .json)
//   inbound/<userId>/<fileUUID>.v<version>   files copied from the cloud for download
import { unlinkSync } from "node:fs";
import path from "node:path";
import { makeDirectoryDurablySync } from "../durability/durableFiles.ts";
import { isMissingFile } from "../errors/missingFile.ts";

/**
 * Removes a file that may be gone already. unlink, not rm: rm checks the path
 * first and walks it as a tree. Synchronous: a transfer removes thousands of
 * staged uploads, and the thread pool's round trip costs several times the
 * unlink itself (smallFileReads.ts says the same of small reads).
 */
function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if (!isMissingFile(error)) throw error;
  }
}

export class StagingArea {
  readonly uploadsDir: string;
  readonly inboundDir: string;

  constructor(root: string) {
    this.uploadsDir = path.join(root, "uploads");
    this.inboundDir = path.join(root, "inbound");
    makeDirectoryDurablySync(this.uploadsDir);
    makeDirectoryDurablySync(this.inboundDir);
  }

  uploadPath(uploadId: string): string {
    return path.join(this.uploadsDir, uploadId);
  }

  inboundPath(userId: string, fileUUID: string, version: number): string {
    return path.join(this.inboundUserDir(userId), `${fileUUID}.v${version}`);
  }

  /** The folder of a user's staged downloads (and their partial copies). */
  inboundUserDir(userId: string): string {
    return path.join(this.inboundDir, userId);
  }

  removeUpload(uploadId: string): void {
    removeFile(this.uploadPath(uploadId));
    removeFile(`${this.uploadPath(uploadId)}.json`);
  }
}
