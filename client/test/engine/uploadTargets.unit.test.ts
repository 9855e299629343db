// uploadBatch.ts alone: the version each change of a batch targets in the index.
import { describe, expect, it } from "vitest";
import { uploadTargets } from "../../src/engine/uploadBatch.ts";
import { indexEntry, preparedDeletion, preparedUpload } from "../support/engineRecords.ts";

describe("uploadTargets", () => {
  it("an upload makes the next version (0 for a new file, undeleting a deleted one); a deletion deletes the index's", () => {
    const index = [indexEntry("kept", 2), indexEntry("gone", 5, { deleted: true }), indexEntry("del", 3)];
    const targets = uploadTargets(
      [preparedUpload("kept"), preparedUpload("gone"), preparedUpload("new"), preparedDeletion("del")],
      index,
    );
    expect(Object.fromEntries(targets)).toEqual({
      kept: { version: 3, undelete: false },
      gone: { version: 6, undelete: true },
      new: { version: 0, undelete: false },
      del: { version: 3, undelete: false },
    });
  });
});
