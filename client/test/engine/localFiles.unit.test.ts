// localFiles.ts alone: the pending changes the plan sees, and the drop of a file's pending changes from every queue.
import { describe, expect, it } from "vitest";
import { dropPendingChanges, pendingChanges } from "../../src/engine/localFiles.ts";
import { metaKeys, type OutboundState } from "../../src/engine/state.ts";
import { sequenceKey } from "../../src/store/ClientStore.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { preparedDeletion, preparedUpload } from "../support/engineRecords.ts";

const outbound = (commitSent: boolean): OutboundState => ({
  batch: 1,
  committedAt: "",
  fencingToken: 1,
  deleteKey: "d",
  deletionsRecorded: false,
  commitKey: "c",
  commitSent,
  operationId: null,
  resumes: 0,
});

async function queuedStore(commitSent: boolean): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.commit([
    {
      op: "put",
      collection: "beingUploaded",
      key: "a",
      value: { change: preparedUpload("a"), version: 0, done: false },
    },
    { op: "put", collection: "meta", key: metaKeys.outbound, value: outbound(commitSent) },
    {
      op: "put",
      collection: "committedUploads",
      key: sequenceKey(2),
      value: { batch: 2, committedAt: "", changes: [preparedDeletion("a"), preparedUpload("b")] },
    },
    { op: "put", collection: "uploadsBeingPrepared", key: "b", value: preparedDeletion("b") },
  ]);
  return store;
}

describe("pendingChanges", () => {
  it("holds the newest change of each file: prepared over committed over being uploaded", async () => {
    const pending = await pendingChanges(await queuedStore(false));
    expect(pending.get("a")).toEqual(preparedDeletion("a"));
    expect(pending.get("b")).toEqual(preparedDeletion("b"));
  });
});

describe("dropPendingChanges", () => {
  it("drops a file's changes from every queue, and the batch not yet committed once it is empty", async () => {
    const store = await queuedStore(false);
    await store.commit(await dropPendingChanges(store, new Set(["a"])));
    expect(await store.list("beingUploaded")).toEqual([]);
    expect(await store.get("meta", metaKeys.outbound)).toBeUndefined();
    expect((await store.get("committedUploads", sequenceKey(2)))?.changes).toEqual([preparedUpload("b")]);
    await store.commit(await dropPendingChanges(store, new Set(["b"])));
    expect(await store.list("committedUploads")).toEqual([]);
    expect(await store.list("uploadsBeingPrepared")).toEqual([]);
  });

  it("leaves a batch whose commit was sent (the server may apply it)", async () => {
    const store = await queuedStore(true);
    await store.commit(await dropPendingChanges(store, new Set(["a"])));
    expect(await store.list("beingUploaded")).toHaveLength(1);
    expect(await store.get("meta", metaKeys.outbound)).toEqual(outbound(true));
  });
});
