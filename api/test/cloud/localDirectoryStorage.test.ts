import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { LocalDirectoryStorage } from "../../src/cloud/LocalDirectoryStorage.ts";
import { cloudStorageContract } from "./cloudStorageContract.ts";

const root = mkdtempSync(path.join(tmpdir(), "smsync-cloud-"));
cloudStorageContract("local directory", async () => ({ storage: new LocalDirectoryStorage(root), userId: randomUUID() }));

describe("local directory backend", () => {
  it("leaves no temporary file behind a failed write", async () => {
    const storage = new LocalDirectoryStorage(root);
    const userId = randomUUID();
    const failing = () =>
      new Readable({
        read() {
          this.destroy(new Error("connection dropped"));
        },
      });
    const metadata = { userId, fileUUID: randomUUID(), version: 0, cloudFileName: "x", mimeType: "text/plain", sha256: "0".repeat(64), size: 1 };
    await expect(storage.writeObject(metadata, failing)).rejects.toMatchObject({ kind: "transient" });
    expect(await readdir(path.join(root, userId, ".tmp"))).toEqual([]);
    expect(await storage.findObject(metadata)).toBeNull();
  });

  it("refuses object ids that would leave the user's directory", async () => {
    const storage = new LocalDirectoryStorage(root);
    await expect(storage.readObject(randomUUID(), "../../etc/passwd")).rejects.toMatchObject({ kind: "notFound" });
    await expect(storage.deleteObject(randomUUID(), "../x.v0")).rejects.toMatchObject({ kind: "notFound" });
  });
});
