// What the user sees in their Drive: a file's path (the CLI's "docs%2Freport.bin")
// as folders under the app folder and the file by its own name, the folders
// made once and found again after a restart, while the objects are still
// found by their appProperties.
import { randomBytes, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { pathToCloudName } from "@smsync/protocol";
import { afterAll, describe, expect, it } from "vitest";
import type { CloudObjectMetadata } from "../../src/cloud/CloudStorage.ts";
import { drivePlacementOf } from "../../src/cloud/googleDrive/drivePlacement.ts";
import { driveFaults, type FakeDriveFile } from "@smsync/testkit/fakeGoogleDrive";
import { startGoogleDriveFixture } from "../support/googleDriveFixture.ts";
import { sha256Hex } from "@smsync/testkit";

const fixture = await startGoogleDriveFixture();
const { drive } = fixture;
afterAll(() => fixture.close());

const folderMimeType = "application/vnd.google-apps.folder";

function fileNamed(userId: string, cloudFileName: string, fileUUID: string = randomUUID(), version = 0) {
  const content = randomBytes(500);
  const metadata: CloudObjectMetadata = {
    userId,
    fileUUID,
    version,
    cloudFileName,
    mimeType: "text/plain",
    sha256: sha256Hex(content),
    size: content.length,
  };
  return { metadata, content: () => Readable.from([content]) };
}

/** Each of the user's Drive files by its path from the top of the Drive ("smsync/docs/report.bin"). */
function drivePaths(userId: string): string[] {
  const files = drive.filesOf(userId);
  const byId = new Map(files.map((file) => [file.id, file]));
  const pathOf = (file: FakeDriveFile): string => {
    const [parentId] = file.parents;
    const parent = parentId === undefined ? undefined : byId.get(parentId);
    return parent ? `${pathOf(parent)}/${file.name}` : file.name;
  };
  return files.map((file) => `${pathOf(file)}${file.mimeType === folderMimeType ? "/" : ""}`).sort();
}

describe("where a cloud file name shows in Drive", () => {
  it.each([
    ["report.bin", [], "report.bin"],
    ["docs%2Freport.bin", ["docs"], "report.bin"],
    ["a%2Fb c%2F2026 report.pdf", ["a", "b c"], "2026 report.pdf"],
    ["50%25 off%2Fprice%252F.txt", ["50% off"], "price%2F.txt"],
    ["%2Fleading", [], "%2Fleading"],
    ["trailing%2F", [], "trailing%2F"],
    ["a%2F%2Fb", [], "a%2F%2Fb"],
    ["lower%2fcase", [], "lower%2fcase"],
  ])("%s: folders %j, name %s", (cloudFileName, folders, name) => {
    expect(drivePlacementOf(cloudFileName)).toEqual({ folders, name });
  });
});

describe("the command line client's names", () => {
  // The convention drivePlacementOf reads is the CLI's: a change on either side fails here.
  it.each([
    ["report.bin", [], "report.bin"],
    ["docs/report.bin", ["docs"], "report.bin"],
    ["docs/50% off/price %2F list.txt", ["docs", "50% off"], "price %2F list.txt"],
  ])("%s shows in Drive as the path it is", (relativePath, folders, name) => {
    expect(drivePlacementOf(pathToCloudName(relativePath))).toEqual({ folders, name });
  });
});

describe("Google Drive backend: the user's paths as folders", () => {
  it("puts a file of a subfolder in Drive folders under the app folder, by its own name, and finds it by its key", async () => {
    const userId = await fixture.newUser();
    const storage = fixture.storage();
    const report = fileNamed(userId, "docs%2Freports%2F2026 report.bin");
    const notes = fileNamed(userId, "docs%2Fnotes.txt");
    const top = fileNamed(userId, "50%25 off.txt");
    for (const file of [report, notes, top]) await storage.writeObject(file.metadata, file.content);
    expect(drivePaths(userId)).toEqual([
      "smsync/",
      "smsync/50% off.txt",
      "smsync/docs/",
      "smsync/docs/notes.txt",
      "smsync/docs/reports/",
      "smsync/docs/reports/2026 report.bin",
    ]);
    expect(await storage.findObject(report.metadata)).toMatchObject({
      fileUUID: report.metadata.fileUUID,
      cloudFileName: "2026 report.bin",
    });
    expect((await fixture.storage().listObjects(userId)).map((object) => object.fileUUID).sort()).toEqual(
      [report, notes, top].map((file) => file.metadata.fileUUID).sort(),
    );
  });

  it("makes each folder once: for writes arriving together, and after a restart (found by search)", async () => {
    const userId = await fixture.newUser();
    const storage = fixture.storage();
    const together = ["docs%2Fa.txt", "docs%2Fb.txt", "docs%2Fsub%2Fc.txt"].map((name) => fileNamed(userId, name));
    await Promise.all(together.map((file) => storage.writeObject(file.metadata, file.content)));
    const later = fileNamed(userId, "docs%2Fsub%2Fd.txt");
    await fixture.storage().writeObject(later.metadata, later.content);
    expect(drivePaths(userId)).toEqual([
      "smsync/",
      "smsync/docs/",
      "smsync/docs/a.txt",
      "smsync/docs/b.txt",
      "smsync/docs/sub/",
      "smsync/docs/sub/c.txt",
      "smsync/docs/sub/d.txt",
    ]);
  });

  it("makes a folder once when the answer to its creation is lost", async () => {
    const userId = await fixture.newUser();
    const storage = fixture.storage();
    await storage.listObjects(userId);
    drive.injectFault({ on: "createFile", fault: driveFaults.loseAnswer(), account: userId });
    const file = fileNamed(userId, "photos%2Fcat.jpg");
    await storage.writeObject(file.metadata, file.content);
    expect(drivePaths(userId)).toEqual(["smsync/", "smsync/photos/", "smsync/photos/cat.jpg"]);
  });

  it("places a renamed file's new version under its new path, and the old one goes with its removal", async () => {
    const userId = await fixture.newUser();
    const storage = fixture.storage();
    const v0 = fileNamed(userId, "drafts%2Fplan.txt");
    const old = await storage.writeObject(v0.metadata, v0.content);
    const v1 = fileNamed(userId, "final%2Fplan v2.txt", v0.metadata.fileUUID, 1);
    await storage.writeObject(v1.metadata, v1.content);
    await storage.deleteObject(userId, old.objectId); // what the transfer does once the index moved to v1
    // The emptied folder stays (the user's own, maybe; see docs/google-drive.md).
    expect(drivePaths(userId)).toEqual(["smsync/", "smsync/drafts/", "smsync/final/", "smsync/final/plan v2.txt"]);
  });

  it("makes a folder of the path anew when the user deleted it, and still finds objects written flat by older servers", async () => {
    const userId = await fixture.newUser();
    const storage = fixture.storage();
    const first = fileNamed(userId, "docs%2Fone.txt");
    await storage.writeObject(first.metadata, first.content);
    const docs = drive.filesOf(userId).find((file) => file.name === "docs")!;
    drive.store.deleteWithDescendants(docs.id);
    const second = fileNamed(userId, "docs%2Ftwo.txt");
    // The folder this storage knew is gone: the write fails as transient, and its retry makes the folder anew.
    const failed = await storage.writeObject(second.metadata, second.content).catch((error: unknown) => error);
    expect(failed).toMatchObject({ kind: "transient" });
    await storage.writeObject(second.metadata, second.content);
    expect(drivePaths(userId)).toEqual(["smsync/", "smsync/docs/", "smsync/docs/two.txt"]);
    // A file an older server wrote at the top of the app folder under its flat name.
    const appFolder = drive.filesOf(userId).find((file) => file.name === "smsync")!;
    const flat = fileNamed(userId, "old%2Fflat.txt");
    drive.store.createFile(
      userId,
      {
        name: "old%2Fflat.txt",
        parents: [appFolder.id],
        appProperties: { fileUUID: flat.metadata.fileUUID, version: "0", sha256: flat.metadata.sha256, userId },
      },
      Buffer.from("x"),
    );
    expect(await storage.findObject(flat.metadata)).toMatchObject({ fileUUID: flat.metadata.fileUUID });
  });
});
