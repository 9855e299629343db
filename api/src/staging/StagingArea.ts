// The server's staging area, on a disk shared by the server instances:
//   uploads/   tus uploads (content file named by upload id, plus tus's .json)
//   inbound/<userId>/<fileUUID>.v<version>   files copied from the cloud for download
import { rm } from "node:fs/promises";
import path from "node:path";
import { makeDirectoryDurablySync } from "../durability/durableFiles.ts";

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
    await rm(this.uploadPath(uploadId), { force: true });
    await rm(`${this.uploadPath(uploadId)}.json`, { force: true });
  }
}
