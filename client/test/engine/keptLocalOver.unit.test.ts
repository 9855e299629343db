// conflicts.ts alone: the record a keep-local answer leaves, remembering what the device held before the first such answer.
import { describe, expect, it } from "vitest";
import { keptLocalOver } from "../../src/engine/conflicts.ts";
import { fileRecord } from "../../src/engine/localFiles.ts";
import { heldFile } from "../../src/queues/records.ts";
import { indexEntry, localFile } from "../support/engineRecords.ts";

describe("keptLocalOver", () => {
  const remote = indexEntry("f", 4);

  it("takes the server's version in and remembers the record held before", () => {
    const held = localFile("f", 2);
    expect(keptLocalOver(remote, held)).toEqual({
      op: "put",
      collection: "files",
      key: "f",
      value: { ...fileRecord(remote), heldBeforeKeepLocal: heldFile(held) },
    });
  });

  it("remembers null for a file the device did not hold", () => {
    expect(keptLocalOver(remote, undefined)).toMatchObject({ value: { heldBeforeKeepLocal: null } });
  });

  it("keeps what was held before the first keep-local answer, not the server's version taken in by it", () => {
    const first = localFile("f", 1);
    const afterFirstAnswer = { ...localFile("f", 3), heldBeforeKeepLocal: heldFile(first) };
    expect(keptLocalOver(remote, afterFirstAnswer)).toMatchObject({
      value: { version: 4, heldBeforeKeepLocal: heldFile(first) },
    });
  });
});
