// SmsyncClient.uploadFiles against a real server: a group of files queued in
// one store commit reaches the server intact; a group with one file refused
// (a bad name, two entries with one name, a name the account has, a missing
// file) queues nothing and leaves no copy behind.
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { FileToUpload } from "../../src/SmsyncClient.ts";
import { ClientUsageError } from "../../src/queues/ClientUsageError.ts";
import type { StoreChange } from "../../src/store/ClientStore.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { useEngineHarness, type TestDevice } from "../support/engineHarness.ts";
import { expectNothingPending, syncUntilIdle } from "../support/syncedState.ts";
import { cloudContent, sha256Hex } from "../transfers/helpers.ts";

const harness = useEngineHarness();

/** A MemoryStore that counts the commits that queue changes (the engine's own commits are not counted). */
class QueueCommitCounter extends MemoryStore {
  queueCommits = 0;

  override commit(changes: StoreChange[]): Promise<void> {
    if (changes.some((change) => change.collection === "uploadsBeingPrepared")) this.queueCommits++;
    return super.commit(changes);
  }
}

const binary = { mimeType: "application/octet-stream" };

function filesToUpload(count: number): (FileToUpload & { content: Buffer })[] {
  return Array.from({ length: count }, (_, n) => {
    const content = randomBytes(1 + ((n * 977) % 6000));
    const fileUUID = randomUUID();
    return {
      fileUUID,
      path: harness.writeFile(content),
      options: { cloudFileName: `file ${n}.bin`, ...binary },
      content,
    };
  });
}

async function device(): Promise<TestDevice & { store: QueueCommitCounter; userName: string }> {
  const user = await harness.newUser();
  const store = new QueueCommitCounter();
  const opened = await harness.openClient(user, { store });
  return { ...opened, store, userName: user.userName };
}

const uploadsDir = (opened: TestDevice) => readdirSync(path.join(opened.workDir, "uploads"));

describe("uploadFiles", () => {
  it("queues a group of files in one store commit; each reaches the server intact, and the copies are removed", async () => {
    const phone = await device();
    const files = filesToUpload(120);
    const queued = await phone.client.uploadFiles(files);
    expect(phone.store.queueCommits).toBe(1);
    expect(queued).toEqual(
      files.map((file) => ({
        fileUUID: file.fileUUID,
        cloudFileName: file.options.cloudFileName,
        sha256: sha256Hex(file.content),
        size: file.content.length,
      })),
    );
    expect(uploadsDir(phone)).toHaveLength(files.length);

    await phone.client.commit();
    await syncUntilIdle(phone.client);
    const index = new Map(
      (await phone.raw.fileIndex()).files.map((file: { fileUUID: string }) => [file.fileUUID, file]),
    );
    for (const file of files) {
      expect(index.get(file.fileUUID)).toMatchObject({
        version: 0,
        cloudFileName: file.options.cloudFileName,
        sha256: sha256Hex(file.content),
      });
      expect(await cloudContent(harness.server, phone.userName, file.fileUUID)).toEqual(file.content);
    }
    expect(uploadsDir(phone)).toEqual([]);
    await expectNothingPending(phone.store);
  });

  it("refuses the whole group, naming the file refused, and leaves no copy: a bad name, one name twice, a name the account has, a missing file", async () => {
    const phone = await device();
    const [kept] = filesToUpload(1);
    await phone.client.uploadFiles([{ ...kept!, options: { cloudFileName: "Kept.txt", ...binary } }]);
    await phone.client.commit();
    await syncUntilIdle(phone.client);
    const commitsBefore = phone.store.queueCommits;

    // Each case changes one entry of a group of 20 (`at`), which is the one refused.
    const named = (cloudFileName: string) => (file: FileToUpload) => ({
      ...file,
      options: { cloudFileName, ...binary },
    });
    const refusals: { code: string; at: number; change: (file: FileToUpload) => FileToUpload }[] = [
      { code: "BAD_INPUT", at: 3, change: named("a/b.txt") },
      // The later of two entries with one name (by key) is refused.
      { code: "CLOUD_NAME_TAKEN", at: 5, change: named("FILE 2.bin") },
      { code: "CLOUD_NAME_TAKEN", at: 4, change: named("kept.TXT") },
      {
        code: "NOT_A_FILE",
        at: 9,
        change: (file) => ({ ...file, path: path.join(harness.dir, `missing-${randomUUID()}`) }),
      },
      {
        // A named pipe: refused, not waited on (nothing will ever write to it).
        code: "NOT_A_FILE",
        at: 11,
        change: (file) => {
          const pipe = path.join(harness.dir, `pipe-${randomUUID()}`);
          execFileSync("mkfifo", [pipe]);
          return { ...file, path: pipe };
        },
      },
    ];
    for (const { code, at, change } of refusals) {
      const files: FileToUpload[] = filesToUpload(20);
      files[at] = change(files[at]!);
      const error = (await phone.client.uploadFiles(files).catch((caught: unknown) => caught)) as ClientUsageError;
      expect(error).toBeInstanceOf(ClientUsageError);
      expect({ code: error.code, fileUUID: error.fileUUID }).toEqual({ code, fileUUID: files[at].fileUUID });
      expect(await phone.store.list("uploadsBeingPrepared")).toEqual([]);
      expect(uploadsDir(phone)).toEqual([]);
    }
    expect(phone.store.queueCommits).toBe(commitsBefore);
    await phone.client.commit();
    await syncUntilIdle(phone.client);
    expect((await phone.raw.fileIndex()).files.map((file: { fileUUID: string }) => file.fileUUID)).toEqual([
      kept!.fileUUID,
    ]);
  });
});
