// The cloud behind a server process (serverProcess.ts), for tests that kill
// it: the local directory, or Google Drive over a fake Drive with the users'
// credentials at a fake Google token endpoint (the server refreshes access
// tokens there and the fake Drive accepts them). Each says what objects a
// user has, by "<fileUUID>.v<version>", and an identity that changes when an
// object is written again.
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";
import { LocalDirectoryStorage } from "../../src/cloud/LocalDirectoryStorage.ts";
import { parseTokenKey } from "../../src/config/googleConfig.ts";
import type { Database } from "../../src/database/client.ts";
import { RefreshTokenCipher } from "../../src/google/RefreshTokenCipher.ts";
import { FakeGoogleDrive } from "@smsync/testkit/fakeGoogleDrive";
import { FakeGoogleOAuthServer } from "@smsync/testkit/fakeGoogleOAuth";
import { type ProcessServer, type ProcessServerOptions, sha256Hex } from "@smsync/testkit";

export interface CloudFile {
  fileUUID: string;
  version: number;
  content: Buffer;
}

export interface ProcessCloud {
  name: "local" | "google-drive";
  serverOptions: ProcessServerOptions;
  /** The identity of each of the user's objects (and, locally, of their metadata files). */
  objectIdentities(server: ProcessServer, userId: string): Promise<Map<string, string>>;
  /** Exactly these objects, once each, with their bytes, and nothing left over. */
  expectObjects(server: ProcessServer, userId: string, live: CloudFile[]): Promise<void>;
  close(): Promise<void>;
}

async function dirEntries(dir: string): Promise<string[]> {
  return existsSync(dir) ? (await readdir(dir)).sort() : [];
}

const keyOf = (file: { fileUUID: string; version: number }) => `${file.fileUUID}.v${file.version}`;

export const localProcessCloud = (): Promise<ProcessCloud> =>
  Promise.resolve({
    name: "local",
    serverOptions: {},
    async objectIdentities(server, userId) {
      const userDir = path.join(server.cloudDir, userId);
      const files = new Map<string, string>();
      for (const entry of await dirEntries(userDir)) {
        if (entry === ".tmp") continue;
        const info = await stat(path.join(userDir, entry));
        files.set(entry, `${info.ino}:${info.mtimeMs}`);
      }
      return files;
    },
    async expectObjects(server, userId, live) {
      const userDir = path.join(server.cloudDir, userId);
      const expectedNames = live.flatMap((file) => [keyOf(file), `${keyOf(file)}.json`]);
      expect((await dirEntries(userDir)).filter((entry) => entry !== ".tmp")).toEqual(expectedNames.sort());
      expect(await dirEntries(path.join(userDir, ".tmp"))).toEqual([]);
      const objects = await new LocalDirectoryStorage(server.cloudDir).listObjects(userId);
      for (const file of live) {
        const object = objects.find(
          (candidate) => candidate.fileUUID === file.fileUUID && candidate.version === file.version,
        );
        expect(object).toMatchObject({ sha256: sha256Hex(file.content), size: file.content.length });
        expect((await readFile(path.join(userDir, keyOf(file)))).equals(file.content)).toBe(true);
      }
    },
    close: () => Promise.resolve(),
  });

/** The GoogleAccount that signing in and granting Drive access would have left: a refresh token the fake accepts, encrypted as the server stores it. */
async function grantDriveAccess(db: Database, oauth: FakeGoogleOAuthServer, userId: string): Promise<string> {
  const subject = `fake-subject-${userId}`;
  const refreshToken = oauth.grants.grantRefreshToken(subject);
  const encryptedRefreshToken = new RefreshTokenCipher(parseTokenKey(oauth.tokenKey)!).encrypt(refreshToken, userId);
  await db.$transaction((tx) => tx.googleAccount.create({ data: { userId, subject, encryptedRefreshToken } }));
  return subject;
}

export interface GoogleDriveProcessCloud extends ProcessCloud {
  /** The fake Drive the server talks to (its log, its hooks). */
  drive: FakeGoogleDrive;
  /** The Drive account of a user made by the server's newUser. */
  accountOf(userId: string): string;
}

export async function googleDriveProcessCloud(): Promise<GoogleDriveProcessCloud> {
  const oauth = await FakeGoogleOAuthServer.start();
  const drive = await FakeGoogleDrive.start({ accountOfToken: (token) => oauth.grants.subjectOf(token) });
  const subjects = new Map<string, string>();
  /** The user's objects in the fake Drive (the app folder's files), untrashed. */
  const objectsOf = (userId: string) =>
    drive
      .filesOf(subjects.get(userId) ?? "")
      .filter((file) => file.appProperties.fileUUID !== undefined && !file.trashed);
  return {
    name: "google-drive",
    drive,
    accountOf: (userId) => subjects.get(userId) ?? "",
    serverOptions: {
      environment: {
        ...oauth.environment(),
        SMSYNC_CLOUD_BACKEND: "google-drive",
        SMSYNC_GOOGLE_API_ROOT_URL: drive.rootUrl,
      },
      onNewUser: async (db, userId) => void subjects.set(userId, await grantDriveAccess(db, oauth, userId)),
    },
    objectIdentities(_server, userId) {
      return Promise.resolve(
        new Map(
          objectsOf(userId).map((file) => [`${file.appProperties.fileUUID}.v${file.appProperties.version}`, file.id]),
        ),
      );
    },
    expectObjects(_server, userId, live) {
      const objects = objectsOf(userId);
      expect(objects.map((file) => `${file.appProperties.fileUUID}.v${file.appProperties.version}`).sort()).toEqual(
        live.map(keyOf).sort(),
      );
      for (const file of live) {
        const object = objects.find(
          (candidate) =>
            candidate.appProperties.fileUUID === file.fileUUID &&
            candidate.appProperties.version === String(file.version),
        )!;
        expect(object.appProperties.sha256).toBe(sha256Hex(file.content));
        expect(object.content.equals(file.content)).toBe(true);
      }
      // Nothing else in the user's Drive but folders (the app folder, those of paths): a session cut by a crash never becomes a file.
      const folders = drive
        .filesOf(subjects.get(userId)!)
        .filter((file) => file.mimeType === "application/vnd.google-apps.folder");
      expect(folders.length).toBeGreaterThanOrEqual(1);
      expect(drive.filesOf(subjects.get(userId)!).length).toBe(objects.length + folders.length);
      return Promise.resolve();
    },
    async close() {
      await drive.close();
      await oauth.close();
    },
  };
}

export const processClouds: { name: ProcessCloud["name"]; start: () => Promise<ProcessCloud> }[] = [
  { name: "local", start: localProcessCloud },
  { name: "google-drive", start: googleDriveProcessCloud },
];
