// The server's staging area, on a disk shared by the server instances:
//   uploads/   tus uploads (content file named by upload id, plus tus's .json)
//   inbound/<userId>/<fileUUID>.v<version>   files copied from the cloud for download
import { unlink } from "node:fs/promises";
import path from "node:path";
import { makeDirectoryDurablySync } from "../durability/durableFiles.ts";
import { isMissingFile } from "../errors/missingFile.ts";

/** Removes a file that may be gone already. unlink, not rm: rm checks the path first and walks it as a tree. */
async function removeFile(file: string): Promise<void> {
  try {
    await unlink(file);
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

  async removeUpload(uploadId: string): Promise<void> {
    await removeFile(this.uploadPath(uploadId));
    await removeFile(`${this.uploadPath(uploadId)}.json`);
  }
}
