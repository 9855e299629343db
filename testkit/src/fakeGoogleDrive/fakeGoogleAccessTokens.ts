// A test double of the users' Google credentials (GoogleAccessTokens) for the
// fake Drive: each user's Drive is a fake account named by the user id, and
// its tokens are issued by the fake. A test can make it hand out a token the
// fake refuses (an expired one), or refuse to refresh (consent revoked).
import { CloudStorageError, type Database, type DriveFolderRecords, type GoogleAccessTokens } from "@smsync/api";
import type { FakeGoogleDrive } from "./FakeGoogleDrive.ts";

export class FakeGoogleAccessTokens implements GoogleAccessTokens {
  private readonly current = new Map<string, string>();
  private readonly revoked = new Set<string>();
  /** Tokens refused by Drive that were given back to refreshAfterUnauthorized. */
  readonly refreshed: string[] = [];

  constructor(private readonly drive: FakeGoogleDrive) {}

  accessToken(userId: string): Promise<string> {
    const token = this.current.get(userId) ?? this.drive.issueToken(userId);
    this.current.set(userId, token);
    return Promise.resolve(token);
  }

  refreshAfterUnauthorized(userId: string, refused: string): Promise<string> {
    this.refreshed.push(refused);
    if (this.revoked.has(userId)) {
      return Promise.reject(
        new CloudStorageError("authorization", `the refresh token of user ${userId} was refused (invalid_grant)`),
      );
    }
    const token = this.drive.issueToken(userId);
    this.current.set(userId, token);
    return Promise.resolve(token);
  }

  /** The user's current token stops working, as one past its expiry: the next request gets a 401. */
  expireCurrentToken(userId: string): void {
    const token = this.current.get(userId);
    if (token) this.drive.expireToken(token);
  }

  /** Refreshing fails from now on for this user (the user revoked smsync's access). */
  revokeRefreshToken(userId: string): void {
    this.revoked.add(userId);
  }
}

/** The GoogleAccount row sign-in would have made, so the backend can record the user's app folder. */
export async function addGoogleAccount(db: Database, userId: string): Promise<void> {
  await db.$transaction((tx) =>
    tx.googleAccount.create({ data: { userId, subject: `fake-google-subject-${userId}` } }),
  );
}

/** App folder ids kept in memory, for servers whose users have no GoogleAccount row. */
export class MemoryDriveFolderRecords implements DriveFolderRecords {
  readonly folders = new Map<string, string>();

  folderIdOf(userId: string): Promise<string | null> {
    return Promise.resolve(this.folders.get(userId) ?? null);
  }

  recordFolderId(userId: string, folderId: string): Promise<void> {
    this.folders.set(userId, folderId);
    return Promise.resolve();
  }
}
