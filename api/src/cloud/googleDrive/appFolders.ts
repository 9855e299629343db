// Each user's app folder in their Drive ("smsync" unless configured), where
// all of their objects live. Created on first use, its id recorded in the
// user's GoogleAccount row (driveFolderId) and found again by it. A folder
// created by a process that died before recording it is found by its
// appProperties (smsyncAppFolder = the user id) instead of made twice. A
// recorded folder that is gone (the user deleted it) is replaced by a new one.
// Its creation is made once even when Drive's answer to it is lost
// (DriveApi.createFolderOnce).
import type { Database } from "../../database/client.ts";
import { CloudStorageError } from "../CloudStorageError.ts";
import type { DriveApi } from "./DriveApi.ts";
import { appFolderProperty, appFolderQuery, folderMimeType } from "./driveObjects.ts";

/** Where the folder ids are recorded. */
export interface DriveFolderRecords {
  folderIdOf(userId: string): Promise<string | null>;
  recordFolderId(userId: string, folderId: string): Promise<void>;
}

export class PrismaDriveFolderRecords implements DriveFolderRecords {
  constructor(private readonly db: Database) {}

  async folderIdOf(userId: string): Promise<string | null> {
    const account = await this.db.googleAccount.findUnique({ where: { userId }, select: { driveFolderId: true } });
    return account?.driveFolderId ?? null;
  }

  async recordFolderId(userId: string, folderId: string): Promise<void> {
    const updated = await this.db.$transaction((tx) => tx.googleAccount.updateMany({ where: { userId }, data: { driveFolderId: folderId } }));
    // Without a GoogleAccount the user never granted Drive access (and no token could have been had).
    if (updated.count === 0) throw new CloudStorageError("authorization", `user ${userId} has no Google account: sign in with Google`);
  }
}

export class AppFolders {
  // Promises, so that writes arriving together for a new user share one lookup (and one folder).
  private readonly known = new Map<string, Promise<string>>();

  constructor(
    private readonly api: DriveApi,
    private readonly records: DriveFolderRecords,
    private readonly folderName: string,
  ) {}

  folderOf(userId: string): Promise<string> {
    let folder = this.known.get(userId);
    if (!folder) {
      folder = this.lookUp(userId);
      this.known.set(userId, folder);
      // A failed lookup is tried afresh next time.
      folder.catch(() => this.known.get(userId) === folder && this.known.delete(userId));
    }
    return folder;
  }

  private async lookUp(userId: string): Promise<string> {
    return (await this.recordedFolder(userId)) ?? (await this.findOrCreate(userId));
  }

  /** Forgets the folder id held in memory (after Drive said it is gone). */
  forget(userId: string): void {
    this.known.delete(userId);
  }

  private async recordedFolder(userId: string): Promise<string | null> {
    const recorded = await this.records.folderIdOf(userId);
    if (!recorded) return null;
    try {
      const folder = await this.api.get(userId, recorded);
      return folder.trashed ? null : recorded;
    } catch (error) {
      if (error instanceof CloudStorageError && error.kind === "notFound") return null;
      throw error;
    }
  }

  private async findOrCreate(userId: string): Promise<string> {
    const [found] = await this.api.list(userId, appFolderQuery(userId));
    const folder =
      found ??
      (await this.api.createFolderOnce(
        userId,
        { name: this.folderName, mimeType: folderMimeType, appProperties: { [appFolderProperty]: userId } },
        "creating the app folder",
      ));
    await this.records.recordFolderId(userId, folder.id as string);
    return folder.id as string;
  }
}
