// alreadyApplied.ts alone: the confirmations owed for committed changes the server already has.
import { describe, expect, it } from "vitest";
import { alreadyAppliedConfirmations } from "../../src/engine/alreadyApplied.ts";
import { metaKeys } from "../../src/engine/state.ts";
import { sequenceKey } from "../../src/store/ClientStore.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { indexEntry, preparedDeletion, preparedUpload } from "../support/engineRecords.ts";

describe("alreadyAppliedConfirmations", () => {
  it("confirms the newest committed change of each file at the index's version, and the batches it empties; not a change still being prepared", async () => {
    const store = new MemoryStore();
    await store.commit([
      {
        op: "put",
        collection: "beingUploaded",
        key: "a",
        value: { change: preparedUpload("a"), version: 0, done: false },
      },
      {
        op: "put",
        collection: "meta",
        key: metaKeys.outbound,
        value: {
          batch: 1,
          committedAt: "",
          fencingToken: 1,
          deleteKey: "d",
          deletionsRecorded: false,
          commitKey: "c",
          commitSent: false,
          operationId: null,
          resumes: 0,
        },
      },
      {
        op: "put",
        collection: "committedUploads",
        key: sequenceKey(2),
        value: { batch: 2, committedAt: "", changes: [preparedDeletion("b"), preparedUpload("c")] },
      },
      { op: "put", collection: "uploadsBeingPrepared", key: "c", value: preparedUpload("c") },
    ]);
    const confirmed = await alreadyAppliedConfirmations(store, [indexEntry("a", 4), indexEntry("c", 2)]);
    expect(confirmed.changes).toEqual([{ fileUUID: "a", version: 4, kind: "upload", batch: 1, alreadyOnServer: true }]);
    expect(confirmed.batches).toEqual([1]);
  });
});
