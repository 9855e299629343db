// Each user's app folder in their Drive ("smsync" unless configured), where
// all of their objects live, and the folders of their files' paths inside it
// (drivePlacement.ts), found again by search after a restart. Created on first use, its id recorded in the
// user's GoogleAccount row (driveFolderId) and found again by it. A folder
// created by a process that died before recording it is found by its
// appProperties (smsyncAppFolder = the user id) instead of made twice. A
// recorded folder that is gone (the user deleted it) is replaced by a new one.
// Its creation is made once even when Drive's answer to it is lost
// (DriveApi.createFolderOnce).
import type { Database } from "../../database/client.ts";
import { CloudStorageError } from "../CloudStorageError.ts";
import type { DriveApi } from "./DriveApi.ts";
import {
  appFolderProperty,
  appFolderQuery,
  folderMimeType,
  subfolderProperty,
  subfolderQuery,
} from "./driveObjects.ts";

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
    const updated = await this.db.$transaction((tx) =>
      tx.googleAccount.updateMany({ where: { userId }, data: { driveFolderId: folderId } }),
    );
    // Without a GoogleAccount the user never granted Drive access (and no token could have been had).
    if (updated.count === 0)
      throw new CloudStorageError("authorization", `user ${userId} has no Google account: sign in with Google`);
  }
}

export class AppFolders {
  // Promises, so that writes arriving together for a new user share one lookup (and one folder).
  private readonly known = new Map<string, Promise<string>>();
  /** The folders of files' paths, per user, by "<parent id>/<name>". */
  private readonly subfolders = new Map<string, Map<string, Promise<string>>>();

  constructor(
    private readonly api: DriveApi,
    private readonly records: DriveFolderRecords,
    private readonly folderName: string,
  ) {}

  folderOf(userId: string): Promise<string> {
    return remembered(this.known, userId, () => this.lookUp(userId));
  }

  /** The folder at `path` under the app folder (the app folder for none), each missing one made. */
  async folderAt(userId: string, path: string[]): Promise<string> {
    let folderId = await this.folderOf(userId);
    for (const name of path) folderId = await this.subfolder(userId, folderId, name);
    return folderId;
  }

  private async lookUp(userId: string): Promise<string> {
    return (await this.recordedFolder(userId)) ?? (await this.findOrCreate(userId));
  }

  /** Forgets the folder ids held in memory (after Drive said one is gone). */
  forget(userId: string): void {
    this.known.delete(userId);
    this.subfolders.delete(userId);
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

  /**
   * A folder of a path, found by its parent, name and app property (after a
   * restart), or made once (DriveApi.createFolderOnce). Of two made at the
   * same time by two servers, the older is used.
   */
  private subfolder(userId: string, parentId: string, name: string): Promise<string> {
    let ofUser = this.subfolders.get(userId);
    if (!ofUser) this.subfolders.set(userId, (ofUser = new Map<string, Promise<string>>()));
    return remembered(ofUser, `${parentId}/${name}`, async () => {
      const found = (await this.api.list(userId, subfolderQuery(userId, parentId, name)))
        .filter((folder) => folder.name === name)
        .sort((a, b) => (a.createdTime ?? "").localeCompare(b.createdTime ?? ""));
      if (found[0]) return found[0].id as string;
      const made = await this.api.createFolderOnce(
        userId,
        { name, mimeType: folderMimeType, parents: [parentId], appProperties: { [subfolderProperty]: userId } },
        `creating the folder ${name}`,
      );
      return made.id as string;
    });
  }
}

/** The promise kept for `key`, made on first use; a failed one is made afresh next time. */
function remembered(promises: Map<string, Promise<string>>, key: string, make: () => Promise<string>): Promise<string> {
  let promise = promises.get(key);
  if (!promise) {
    promise = make();
    promises.set(key, promise);
    promise.catch(() => promises.get(key) === promise && promises.delete(key));
  }
  return promise;
}
