// reset.ts alone: what a local reset clears and restores, and what a server reset keeps of the batch being uploaded.
import { describe, expect, it } from "vitest";
import { localResetChanges, serverResetChanges } from "../../src/engine/reset.ts";
import { metaKeys, type OutboundState } from "../../src/engine/state.ts";
import { heldFile } from "../../src/queues/records.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { localFile } from "../support/engineRecords.ts";

const outbound: OutboundState = {
  batch: 3,
  committedAt: "",
  fencingToken: 7,
  deleteKey: "d",
  deletionsRecorded: true,
  commitKey: "c",
  commitSent: true,
  operationId: "op",
  resumes: 1,
};

describe("localResetChanges", () => {
  it("gives a file kept local over the server's version back the record it had before, and removes one the device did not hold", async () => {
    const store = new MemoryStore();
    const before = localFile("kept", 1);
    await store.commit([
      {
        op: "put",
        collection: "files",
        key: "kept",
        value: { ...localFile("kept", 4), heldBeforeKeepLocal: heldFile(before) },
      },
      { op: "put", collection: "files", key: "new", value: { ...localFile("new", 2), heldBeforeKeepLocal: null } },
      { op: "put", collection: "files", key: "plain", value: localFile("plain", 5) },
      { op: "put", collection: "meta", key: metaKeys.outbound, value: outbound },
      { op: "put", collection: "meta", key: metaKeys.lockKey, value: "k" },
    ]);
    await store.commit(await localResetChanges(store));
    expect(await store.get("files", "kept")).toEqual(before);
    expect(await store.get("files", "new")).toBeUndefined();
    expect(await store.get("files", "plain")).toEqual(localFile("plain", 5));
    expect(await store.get("meta", metaKeys.outbound)).toBeUndefined();
    expect(await store.get("meta", metaKeys.lockKey)).toBeUndefined();
  });
});

describe("serverResetChanges", () => {
  it("sends the batch being uploaded again under the next grant", async () => {
    const store = new MemoryStore();
    expect(await serverResetChanges(store)).toEqual([]);
    await store.commit([{ op: "put", collection: "meta", key: metaKeys.outbound, value: outbound }]);
    await store.commit(await serverResetChanges(store));
    expect(await store.get("meta", metaKeys.outbound)).toEqual({
      ...outbound,
      commitSent: false,
      operationId: null,
      fencingToken: -1,
    });
  });
});
