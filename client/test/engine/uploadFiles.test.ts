// SmsyncClient.uploadFiles against a real server: a group of files queued in
// one store commit reaches the server intact; a group with one file refused
// (a bad name, two entries with one name, a name the account has, a missing
// file) queues nothing and leaves no copy behind. Large files linked rather
// than copied (linkAtLeastBytes) go up with the bytes queued through what an
// editor's save does, and with the bytes they have then when written in place.
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, statSync } from "node:fs";
import { open, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
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

  it.each([
    { how: "copied", options: {} },
    // Linked, the group is not checked before its links are made: they are removed with the refusal.
    { how: "linked", options: { linkAtLeastBytes: 0 } },
  ])(
    "refuses the whole group, naming the file refused, and leaves no copy ($how): a bad name, one name twice, a name the account has, a missing file",
    async ({ options }) => {
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
        const error = (await phone.client
          .uploadFiles(files, options)
          .catch((caught: unknown) => caught)) as ClientUsageError;
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
    },
  );
});

describe("uploadFiles with linkAtLeastBytes", () => {
  const large = () => randomBytes(2 * 1024 * 1024 + 77);
  const linkAtLeastBytes = 1024 * 1024;

  /** Where each queued upload's bytes are, by fileUUID. */
  async function queuedSources(opened: TestDevice): Promise<Map<string, string>> {
    return new Map(
      (await opened.store.list("uploadsBeingPrepared")).flatMap(({ value }) =>
        value.kind === "upload" && "path" in value.source ? [[value.fileUUID, value.source.path]] : [],
      ),
    );
  }

  it("links the large files and copies the others; a file renamed over one, or its deletion, leaves the queued bytes to go up", async () => {
    const phone = await device();
    const contents = [large(), large(), randomBytes(5000)];
    const files = contents.map((content, n) => ({
      fileUUID: randomUUID(),
      path: harness.writeFile(content),
      options: { cloudFileName: `linked ${n}.bin`, ...binary },
    }));
    await phone.client.uploadFiles(files, { linkAtLeastBytes });
    const sources = await queuedSources(phone);
    const inode = (file: string) => statSync(file).ino;
    expect(inode(sources.get(files[0]!.fileUUID)!)).toBe(inode(files[0]!.path));
    expect(inode(sources.get(files[1]!.fileUUID)!)).toBe(inode(files[1]!.path));
    expect(inode(sources.get(files[2]!.fileUUID)!)).not.toBe(inode(files[2]!.path));

    // An editor's save: a new file renamed over the first; the second deleted.
    const saved = large();
    await writeFile(`${files[0]!.path}.new`, saved);
    await rename(`${files[0]!.path}.new`, files[0]!.path);
    await rm(files[1]!.path);

    await phone.client.commit();
    await syncUntilIdle(phone.client);
    for (const [n, file] of files.entries()) {
      expect(await cloudContent(harness.server, phone.userName, file.fileUUID)).toEqual(contents[n]);
    }
    expect(uploadsDir(phone)).toEqual([]);
    expect(statSync(files[0]!.path).size).toBe(saved.length);
    await expectNothingPending(phone.store);
  });

  it("uploads a linked file written in place after it was queued with the bytes it has then, hashed again", async () => {
    const phone = await device();
    const contents = [large(), large()];
    const files = contents.map((content, n) => ({
      fileUUID: randomUUID(),
      path: harness.writeFile(content),
      options: { cloudFileName: `written ${n}.bin`, ...binary },
    }));
    const queued = await phone.client.uploadFiles(files, { linkAtLeastBytes });
    expect(queued.map((file) => file.sha256)).toEqual(contents.map(sha256Hex));

    // 4 KiB rewritten inside the first (its size kept: the server finds the sha256 wrong); the second grown.
    const patch = randomBytes(4096);
    const handle = await open(files[0]!.path, "r+");
    await handle.write(patch, 0, patch.length, 1024 * 1024);
    await handle.close();
    patch.copy(contents[0]!, 1024 * 1024);
    const tail = randomBytes(1000);
    await writeFile(files[1]!.path, tail, { flag: "a" });
    contents[1] = Buffer.concat([contents[1]!, tail]);

    await phone.client.commit();
    await syncUntilIdle(phone.client);
    const index = new Map(
      (await phone.raw.fileIndex()).files.map((file: { fileUUID: string; sha256: string }) => [
        file.fileUUID,
        file.sha256,
      ]),
    );
    for (const [n, file] of files.entries()) {
      expect(await cloudContent(harness.server, phone.userName, file.fileUUID)).toEqual(contents[n]);
      expect(index.get(file.fileUUID)).toBe(sha256Hex(contents[n]!));
      expect((await phone.client.localFileStatus(file.fileUUID)).file?.sha256).toBe(sha256Hex(contents[n]!));
    }
    expect(uploadsDir(phone)).toEqual([]);
    await expectNothingPending(phone.store);
  });

  it("takes a large linked file's known sha256 without reading it; bytes that differ from it go up as they are", async () => {
    const phone = await device();
    const contents = [large(), large(), large()];
    const files = contents.map((content, n) => ({
      fileUUID: randomUUID(),
      path: harness.writeFile(content),
      options: { cloudFileName: `known ${n}.bin`, ...binary },
      size: content.length,
    }));
    // The first as the caller hashed it; the second's hash stale (the file changed since, at the same size);
    // the third's size wrong (the file grew since): that one is hashed.
    const stale = sha256Hex(large());
    const known = [sha256Hex(contents[0]!), stale, sha256Hex(contents[2]!)];
    const queued = await phone.client.uploadFiles(
      files.map((file, n) => ({ ...file, sha256: known[n]!, size: n === 2 ? file.size - 1 : file.size })),
      { linkAtLeastBytes },
    );
    expect(queued.map((file) => file.sha256)).toEqual([known[0], stale, sha256Hex(contents[2]!)]);

    await phone.client.commit();
    await syncUntilIdle(phone.client);
    for (const [n, file] of files.entries()) {
      expect(await cloudContent(harness.server, phone.userName, file.fileUUID)).toEqual(contents[n]);
      expect((await phone.client.localFileStatus(file.fileUUID)).file?.sha256).toBe(sha256Hex(contents[n]!));
    }
    expect(uploadsDir(phone)).toEqual([]);
    await expectNothingPending(phone.store);
  });

  it("sends a small linked file written in place with the bytes it has then, and one grown past the batch limit on its own", async () => {
    const phone = await device();
    const contents = [randomBytes(3000), randomBytes(5000), randomBytes(4000)];
    const files = contents.map((content, n) => ({
      fileUUID: randomUUID(),
      path: harness.writeFile(content),
      options: { cloudFileName: `small ${n}.bin`, ...binary },
    }));
    await phone.client.uploadFiles(files, { linkAtLeastBytes: 0 });
    const sources = await queuedSources(phone);
    for (const file of files) expect(statSync(sources.get(file.fileUUID)!).ino).toBe(statSync(file.path).ino);

    // The first rewritten in place, the second grown past batchMaxFileBytes (1 MiB), the third left alone.
    const rewritten = randomBytes(3000);
    const handle = await open(files[0]!.path, "r+");
    await handle.write(rewritten, 0, rewritten.length, 0);
    await handle.close();
    contents[0] = rewritten;
    const tail = randomBytes(1024 * 1024);
    await writeFile(files[1]!.path, tail, { flag: "a" });
    contents[1] = Buffer.concat([contents[1]!, tail]);

    await phone.client.commit();
    await syncUntilIdle(phone.client);
    for (const [n, file] of files.entries()) {
      expect(await cloudContent(harness.server, phone.userName, file.fileUUID)).toEqual(contents[n]);
      expect((await phone.client.localFileStatus(file.fileUUID)).file?.sha256).toBe(sha256Hex(contents[n]!));
    }
    expect(uploadsDir(phone)).toEqual([]);
    await expectNothingPending(phone.store);
  });

  // The tests' temporary files are on tmpfs (globalSetup): the checkout's disk is another file system, and so is
  // /dev/shm where they are not.
  const otherDevice = [process.cwd(), "/dev/shm"].find((dir) => {
    try {
      return statSync(dir).dev !== statSync(tmpdir()).dev;
    } catch {
      return false;
    }
  });

  it.skipIf(!otherDevice)("copies a large file it cannot link (another file system)", async () => {
    const phone = await device();
    const content = large();
    const folder = mkdtempSync(path.join(otherDevice!, ".smsync-link-test-"));
    const source = path.join(folder, "large.bin");
    await writeFile(source, content);
    try {
      const [file] = [{ fileUUID: randomUUID(), path: source, options: { cloudFileName: "copied.bin", ...binary } }];
      await phone.client.uploadFiles([file], { linkAtLeastBytes });
      const copy = (await queuedSources(phone)).get(file.fileUUID)!;
      expect(statSync(copy).dev).not.toBe(statSync(source).dev);
      await writeFile(source, large());
      await phone.client.commit();
      await syncUntilIdle(phone.client);
      expect(await cloudContent(harness.server, phone.userName, file.fileUUID)).toEqual(content);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
