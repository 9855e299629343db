// The group commit of directory fsyncs (syncDirectoryShared): a caller is
// answered only by an fsync that began after it asked, never by the one
// already under way; callers who ask meanwhile share that next fsync.
import { beforeEach, expect, it } from "vitest";
import { syncDirectoryShared as syncShared } from "../../src/durability/sharedDirectorySync.ts";

/** The fsyncs begun, in order, each finished by the test. */
const started: { dir: string; finish: (error?: Error) => void }[] = [];
const fakeSync = (dir: string) =>
  new Promise<void>((resolve, reject) => started.push({ dir, finish: (error) => (error ? reject(error) : resolve()) }));
const syncDirectoryShared = (dir: string) => syncShared(`/shared-sync-test${dir}`, fakeSync);

/** Lets the promise callbacks queued so far run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  started.length = 0;
});

it("answers a caller with an fsync that began after it asked, shared by everyone who asked meanwhile", async () => {
  const answered: string[] = [];
  const first = syncDirectoryShared("/d").then(() => answered.push("first"));
  expect(started).toHaveLength(1);
  const second = syncDirectoryShared("/d").then(() => answered.push("second"));
  const third = syncDirectoryShared("/d").then(() => answered.push("third"));
  expect(started).toHaveLength(1);

  started[0]!.finish();
  await first;
  await settle();
  // The fsync under way when the second and third asked does not answer them: the next one does, once for both.
  expect(answered).toEqual(["first"]);
  expect(started).toHaveLength(2);
  started[1]!.finish();
  await Promise.all([second, third]);
  expect(answered).toEqual(["first", "second", "third"]);
  expect(started.map((sync) => sync.dir)).toEqual(["/shared-sync-test/d", "/shared-sync-test/d"]);
});

it("starts the next fsync even when the one under way fails, and keeps directories apart", async () => {
  const first = syncDirectoryShared("/a");
  const other = syncDirectoryShared("/b");
  const second = syncDirectoryShared("/a");
  expect(started.map((sync) => sync.dir.slice(-2))).toEqual(["/a", "/b"]);
  started[0]!.finish(new Error("EIO"));
  await expect(first).rejects.toThrow("EIO");
  await settle();
  expect(started.map((sync) => sync.dir.slice(-2))).toEqual(["/a", "/b", "/a"]);
  started[2]!.finish();
  started[1]!.finish();
  await expect(second).resolves.toBeUndefined();
  await expect(other).resolves.toBeUndefined();
  // Nothing left running: a later caller starts a fsync of its own at once.
  void syncDirectoryShared("/a");
  expect(started).toHaveLength(4);
  started[3]!.finish();
});
