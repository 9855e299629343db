// The rules of the queue before commit, and commit itself: misuse throws a
// typed error and queues nothing.
import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { ClientUsageError } from "../../src/queues/ClientUsageError.ts";
import type { LocalFile, PreparedUpload } from "../../src/queues/records.ts";
import {
  commitPrepared,
  committedBatches,
  queueDeletion,
  queueUpload,
  queueUploads,
} from "../../src/queues/uploadsBeingPrepared.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";

let store: MemoryStore;
beforeEach(() => {
  store = new MemoryStore();
});

function upload(fileUUID: string, overrides: Partial<PreparedUpload> = {}): PreparedUpload {
  return {
    kind: "upload",
    fileUUID,
    source: { base64: Buffer.from(fileUUID).toString("base64") },
    cloudFileName: `${fileUUID}.txt`,
    mimeType: "text/plain",
    appMetaData: null,
    sha256: "0".repeat(64),
    size: 36,
    immutable: false,
    queuedAt: new Date(0).toISOString(),
    ...overrides,
  };
}

async function knownFile(fileUUID: string, overrides: Partial<LocalFile> = {}) {
  const file: LocalFile = {
    fileUUID,
    version: 0,
    sha256: "1".repeat(64),
    cloudFileName: `${fileUUID}.txt`,
    mimeType: "text/plain",
    appMetaData: null,
    deleted: false,
    ...overrides,
  };
  await store.commit([{ op: "put", collection: "files", key: fileUUID, value: file }]);
}

const prepared = async () => (await store.list("uploadsBeingPrepared")).map((entry) => entry.value);

async function expectUsageError(promise: Promise<unknown>, code: string, fileUUID?: string) {
  const before = JSON.stringify(await store.list("uploadsBeingPrepared"));
  const error = (await promise.catch((caught: unknown) => caught)) as ClientUsageError;
  expect(error).toBeInstanceOf(ClientUsageError);
  expect(error.code).toBe(code);
  if (fileUUID !== undefined) expect(error.fileUUID).toBe(fileUUID);
  expect(JSON.stringify(await store.list("uploadsBeingPrepared"))).toBe(before);
}

describe("uploadsBeingPrepared", () => {
  it("replaces an older upload of a file by a newer one", async () => {
    const fileUUID = randomUUID();
    await queueUpload(store, upload(fileUUID, { sha256: "a".repeat(64) }));
    await queueUpload(store, upload(fileUUID, { sha256: "b".repeat(64) }));
    expect(await prepared()).toMatchObject([{ kind: "upload", fileUUID, sha256: "b".repeat(64) }]);
  });

  it("keeps the delete of a file uploaded then deleted, when the server has the file", async () => {
    const fileUUID = randomUUID();
    await knownFile(fileUUID);
    await queueUpload(store, upload(fileUUID));
    await queueDeletion(store, fileUUID);
    expect(await prepared()).toMatchObject([{ kind: "delete", fileUUID }]);
  });

  it("drops the upload of a file the server never had when it is deleted", async () => {
    const fileUUID = randomUUID();
    await queueUpload(store, upload(fileUUID));
    await queueDeletion(store, fileUUID);
    expect(await prepared()).toEqual([]);
  });

  it("keeps the delete of a file whose first upload is committed but not yet confirmed (found by the simulator, seed 2095)", async () => {
    const fileUUID = randomUUID();
    await queueUpload(store, upload(fileUUID, { sha256: "a".repeat(64) }));
    await commitPrepared(store);
    await queueUpload(store, upload(fileUUID, { sha256: "b".repeat(64) }));
    await queueDeletion(store, fileUUID);
    expect(await prepared()).toMatchObject([{ kind: "delete", fileUUID }]);
  });

  it("refuses to delete an unknown file, or one already deleted", async () => {
    await expectUsageError(queueDeletion(store, randomUUID()), "UNKNOWN_FILE");
    const gone = randomUUID();
    await knownFile(gone, { deleted: true });
    await expectUsageError(queueDeletion(store, gone), "ALREADY_DELETED");
    const going = randomUUID();
    await knownFile(going);
    await queueDeletion(store, going);
    await expectUsageError(queueDeletion(store, going), "ALREADY_DELETED");
  });

  it("refuses an upload after a delete", async () => {
    const deleted = randomUUID();
    await knownFile(deleted, { deleted: true });
    await expectUsageError(queueUpload(store, upload(deleted)), "FILE_DELETED");
    const deleting = randomUUID();
    await knownFile(deleting);
    await queueDeletion(store, deleting);
    await expectUsageError(queueUpload(store, upload(deleting)), "FILE_DELETED");
  });

  it("refuses a cloud name that another live file has, known or queued, but not one being deleted", async () => {
    const owner = randomUUID();
    await knownFile(owner, { cloudFileName: "notes.txt" });
    await expectUsageError(
      queueUpload(store, upload(randomUUID(), { cloudFileName: "notes.txt" })),
      "CLOUD_NAME_TAKEN",
    );
    const queuedOwner = randomUUID();
    await queueUpload(store, upload(queuedOwner, { cloudFileName: "draft.txt" }));
    await expectUsageError(
      queueUpload(store, upload(randomUUID(), { cloudFileName: "draft.txt" })),
      "CLOUD_NAME_TAKEN",
    );
    // The same file may keep its own name.
    await queueUpload(store, upload(owner, { cloudFileName: "notes.txt" }));
  });

  it("frees a name deleted or renamed away for the batches after the change's own, not within it (the server checks uploads before deletions)", async () => {
    const leaving = randomUUID();
    await knownFile(leaving, { cloudFileName: "old.txt" });
    await queueDeletion(store, leaving);
    await expectUsageError(queueUpload(store, upload(randomUUID(), { cloudFileName: "old.txt" })), "CLOUD_NAME_TAKEN");
    const renamed = randomUUID();
    await knownFile(renamed, { cloudFileName: "draft.txt" });
    await queueUpload(store, upload(renamed, { cloudFileName: "final.txt" }));
    await expectUsageError(
      queueUpload(store, upload(randomUUID(), { cloudFileName: "draft.txt" })),
      "CLOUD_NAME_TAKEN",
    );
    await commitPrepared(store);
    await queueUpload(store, upload(randomUUID(), { cloudFileName: "old.txt" }));
    await queueUpload(store, upload(randomUUID(), { cloudFileName: "draft.txt" }));
    // A name a committed batch gives a file is taken for the next ones.
    await expectUsageError(
      queueUpload(store, upload(randomUUID(), { cloudFileName: "FINAL.txt" })),
      "CLOUD_NAME_TAKEN",
    );
  });

  it("queues a name in the form the server stores (NFC), and compares names as the server does: NFC and case folded", async () => {
    const cafe = randomUUID();
    const queued = await queueUpload(store, upload(cafe, { cloudFileName: "cafe\u0301.txt" }));
    expect(queued.cloudFileName).toBe("caf\u00e9.txt");
    expect(await prepared()).toMatchObject([{ fileUUID: cafe, cloudFileName: "caf\u00e9.txt" }]);
    for (const cloudFileName of ["caf\u00e9.txt", "cafe\u0301.txt", "CAF\u00c9.TXT"]) {
      await expectUsageError(queueUpload(store, upload(randomUUID(), { cloudFileName })), "CLOUD_NAME_TAKEN");
    }
    // A record from before the client normalized names (NFD) still takes its name.
    const report = randomUUID();
    await knownFile(report, { cloudFileName: "Re\u0301port.txt" });
    await expectUsageError(
      queueUpload(store, upload(randomUUID(), { cloudFileName: "r\u00e9port.TXT" })),
      "CLOUD_NAME_TAKEN",
    );
    // The file itself may change the case of its name.
    await queueUpload(store, upload(report, { cloudFileName: "R\u00c9PORT.txt" }));
  });

  it("lets case twins made before names were compared by key keep their exact names, and makes no new twin", async () => {
    const [upper, lower] = [randomUUID(), randomUUID()];
    await knownFile(upper, { cloudFileName: "Twin.txt" });
    await knownFile(lower, { cloudFileName: "twin.txt" });
    await queueUpload(store, upload(lower, { cloudFileName: "twin.txt" }));
    await expectUsageError(queueUpload(store, upload(upper, { cloudFileName: "TWIN.txt" })), "CLOUD_NAME_TAKEN");
    await expectUsageError(queueUpload(store, upload(randomUUID(), { cloudFileName: "tWiN.txt" })), "CLOUD_NAME_TAKEN");
  });

  it("refuses a name the server would refuse with BAD_INPUT: C0 and C1 controls, separators, half a surrogate pair, too long", async () => {
    for (const cloudFileName of [
      "a\u0085b",
      "a\u009bb",
      "a\u0000b",
      "a/b",
      "a\ud800",
      "x".repeat(256),
      "..",
      " x",
      "",
    ]) {
      await expectUsageError(queueUpload(store, upload(randomUUID(), { cloudFileName })), "BAD_INPUT");
    }
  });
});

describe("queueUploads", () => {
  /** The store's commits from now on. */
  function countCommits(): { commits: number } {
    const counted = { commits: 0 };
    const commit = store.commit.bind(store);
    store.commit = (changes) => {
      counted.commits++;
      return commit(changes);
    };
    return counted;
  }

  it("queues a group in one commit, each name in the form the server stores", async () => {
    const uuids = Array.from({ length: 50 }, () => randomUUID());
    const counted = countCommits();
    const queued = await queueUploads(
      store,
      uuids.map((uuid, n) => upload(uuid, { cloudFileName: n === 0 ? "cafe\u0301.txt" : `${uuid}.txt` })),
    );
    expect(counted.commits).toBe(1);
    expect(queued[0]!.cloudFileName).toBe("caf\u00e9.txt");
    expect((await prepared()).map((change) => change.fileUUID).sort()).toEqual([...uuids].sort());
  });

  it("refuses the whole group, naming the entry refused: a bad name, a file twice, a deleted file, a name taken", async () => {
    const [first, second, gone, owner] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await knownFile(gone, { deleted: true });
    await knownFile(owner, { cloudFileName: "taken.txt" });
    const counted = countCommits();
    await expectUsageError(
      queueUploads(store, [upload(first), upload(second, { cloudFileName: "a/b" })]),
      "BAD_INPUT",
      second,
    );
    await expectUsageError(queueUploads(store, [upload(first), upload(second), upload(first)]), "BAD_INPUT", first);
    await expectUsageError(queueUploads(store, [upload(first), upload(gone)]), "FILE_DELETED", gone);
    await expectUsageError(
      queueUploads(store, [upload(first), upload(second, { cloudFileName: "TAKEN.txt" })]),
      "CLOUD_NAME_TAKEN",
      second,
    );
    expect(counted.commits).toBe(0);
  });

  it("refuses the later of two entries with the same name by key", async () => {
    const [earlier, later] = [randomUUID(), randomUUID()];
    await expectUsageError(
      queueUploads(store, [
        upload(earlier, { cloudFileName: "Notes.txt" }),
        upload(later, { cloudFileName: "notes.TXT" }),
      ]),
      "CLOUD_NAME_TAKEN",
      later,
    );
  });

  it("counts the names of the group's entries as they will be: a prepared upload replaced by the group frees its name", async () => {
    const [moving, taking] = [randomUUID(), randomUUID()];
    await queueUpload(store, upload(moving, { cloudFileName: "draft.txt" }));
    await queueUploads(store, [
      upload(taking, { cloudFileName: "draft.txt" }),
      upload(moving, { cloudFileName: "final.txt" }),
    ]);
    expect(Object.fromEntries((await prepared()).map((change) => [change.fileUUID, change]))).toMatchObject({
      [moving]: { cloudFileName: "final.txt" },
      [taking]: { cloudFileName: "draft.txt" },
    });
    // A name the server has for a file is not free within the batch that renames it (as for a single upload).
    const known = randomUUID();
    await knownFile(known, { cloudFileName: "old.txt" });
    await expectUsageError(
      queueUploads(store, [
        upload(known, { cloudFileName: "new.txt" }),
        upload(randomUUID(), { cloudFileName: "old.txt" }),
      ]),
      "CLOUD_NAME_TAKEN",
    );
  });
});

describe("commitPrepared", () => {
  it("does nothing for an empty commit", async () => {
    expect(await commitPrepared(store)).toBeNull();
    expect(await committedBatches(store)).toEqual([]);
  });

  it("closes the prepared changes into numbered batches, in order, and empties the queue", async () => {
    const a = randomUUID();
    const b = randomUUID();
    await queueUpload(store, upload(a));
    const first = await commitPrepared(store);
    await queueUpload(store, upload(b));
    const second = await commitPrepared(store);
    expect(first?.batch).toBe(1);
    expect(second?.batch).toBe(2);
    expect(await prepared()).toEqual([]);
    const batches = await committedBatches(store);
    expect(batches.map((batch) => batch.changes.map((change) => change.fileUUID))).toEqual([[a], [b]]);
  });
});
