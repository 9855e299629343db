import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { planDownloads, type IndexEntry } from "../../src/engine/planDownloads.ts";
import type { LocalFile, PreparedChange } from "../../src/queues/records.ts";

const sha = (c: string) => c.repeat(64);

function entry(fileUUID: string, version: number, overrides: Partial<IndexEntry> = {}): IndexEntry {
  return {
    fileUUID,
    cloudFileName: `${fileUUID}.txt`,
    mimeType: "text/plain",
    appMetaData: null,
    version,
    deleted: false,
    size: 1,
    sha256: sha("a"),
    ...overrides,
  };
}

function held(fileUUID: string, version: number | null, overrides: Partial<LocalFile> = {}): [string, LocalFile] {
  return [
    fileUUID,
    {
      fileUUID,
      version,
      sha256: sha("a"),
      cloudFileName: `${fileUUID}.txt`,
      mimeType: "text/plain",
      appMetaData: null,
      deleted: false,
      ...overrides,
    },
  ];
}

function upload(fileUUID: string, sha256: string): [string, PreparedChange] {
  return [
    fileUUID,
    {
      kind: "upload",
      fileUUID,
      source: { base64: "" },
      cloudFileName: "x",
      mimeType: "text/plain",
      appMetaData: null,
      sha256,
      size: 1,
      immutable: false,
      queuedAt: "",
    },
  ];
}

describe("planDownloads", () => {
  it("downloads new files and newer versions, skips what the device holds", () => {
    const fresh = randomUUID();
    const newer = randomUUID();
    const same = randomUUID();
    const plan = planDownloads(
      [entry(fresh, 0), entry(newer, 3), entry(same, 2)],
      new Map([held(newer, 2), held(same, 2)]),
      new Map(),
    );
    expect(plan.downloads.map((e) => e.fileUUID).sort()).toEqual([fresh, newer].sort());
    expect(plan).toMatchObject({ deletions: [], conflicts: [], alreadyApplied: [] });
  });

  it("applies deletions of files the device holds, ignores deleted files it never had", () => {
    const heldFile = randomUUID();
    const neverHad = randomUUID();
    const plan = planDownloads(
      [entry(heldFile, 1, { deleted: true }), entry(neverHad, 0, { deleted: true })],
      new Map([held(heldFile, 1)]),
      new Map(),
    );
    expect(plan.deletions.map((e) => e.fileUUID)).toEqual([heldFile]);
    expect(plan.downloads).toEqual([]);
  });

  it("reports a server change against a pending upload or deletion as a conflict", () => {
    const changedBoth = randomUUID();
    const deletedRemotelyEditedLocally = randomUUID();
    const editedRemotelyDeletedLocally = randomUUID();
    const plan = planDownloads(
      [
        entry(changedBoth, 1, { sha256: sha("b") }),
        entry(deletedRemotelyEditedLocally, 1, { deleted: true }),
        entry(editedRemotelyDeletedLocally, 2),
      ],
      new Map([held(changedBoth, 0), held(deletedRemotelyEditedLocally, 1), held(editedRemotelyDeletedLocally, 1)]),
      new Map([
        upload(changedBoth, sha("c")),
        upload(deletedRemotelyEditedLocally, sha("c")),
        [editedRemotelyDeletedLocally, { kind: "delete", fileUUID: editedRemotelyDeletedLocally, queuedAt: "" }],
      ]),
    );
    expect(plan.conflicts.map((c) => [c.fileUUID, c.local]).sort()).toEqual(
      [
        [changedBoth, "upload"],
        [deletedRemotelyEditedLocally, "upload"],
        [editedRemotelyDeletedLocally, "delete"],
      ].sort(),
    );
    expect(plan.downloads).toEqual([]);
  });

  it("does not call the same content on both sides a conflict, nor a deletion on both sides", () => {
    const converged = randomUUID();
    const bothDeleted = randomUUID();
    const plan = planDownloads(
      [entry(converged, 1, { sha256: sha("d") }), entry(bothDeleted, 1, { deleted: true })],
      new Map([held(converged, 0), held(bothDeleted, 1)]),
      new Map([upload(converged, sha("d")), [bothDeleted, { kind: "delete", fileUUID: bothDeleted, queuedAt: "" }]]),
    );
    expect(plan.conflicts).toEqual([]);
    expect(plan.alreadyApplied.map((e) => e.fileUUID).sort()).toEqual([converged, bothDeleted].sort());
  });
});
