// Conflicts: a server change (a newer version, or a deletion) against a
// pending local upload or deletion of the same file, settled by the app's
// resolveConflict callback; same content on both sides is no conflict.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ConflictResolution } from "../../src/engine/SyncEngine.ts";
import { useEngineHarness, type TestDevice } from "../support/engineHarness.ts";
import { cloudContent, sha256Hex } from "../transfers/helpers.ts";
import { indexEntry } from "../support/serverReads.ts";

const harness = useEngineHarness();

const text = { cloudFileName: "shared.txt", mimeType: "text/plain" };
const c0 = Buffer.from("version 0, from A");
const c1 = Buffer.from("version 1, from A again");
const c2 = Buffer.from("B's own change");

/**
 * A and B of one user both hold version 0 of a file; then A changes it on the
 * server (a new version, or a deletion) while B has `local` pending for it.
 */
async function conflictOn(
  remote: "upload" | "delete",
  local: "upload" | "delete",
  resolution: ConflictResolution | null,
) {
  const phone = await harness.newUser();
  const laptop = await harness.newDevice(phone.userName);
  const a = await harness.openClient(phone);
  const b: TestDevice = await harness.openClient(laptop, resolution ? { resolveConflict: () => resolution } : {});
  const uuid = randomUUID();
  await a.client.uploadData(uuid, c0, text);
  await a.client.commit();
  await a.client.sync();
  await b.client.sync();
  expect(b.app.saved.map((saved) => saved.bytes)).toEqual([c0]);

  if (remote === "upload") await a.client.uploadData(uuid, c1, text);
  else await a.client.deleteFile(uuid);
  await a.client.commit();
  await a.client.sync();

  if (local === "upload") await b.client.uploadData(uuid, c2, text);
  else await b.client.deleteFile(uuid);
  await b.client.commit();
  return { phone, a, b, uuid };
}

describe("conflicts", () => {
  it("remote upload against local upload, keep-local: B's content becomes the next version", async () => {
    const { phone, b, uuid } = await conflictOn("upload", "upload", "keep-local");
    await b.client.sync();
    expect(b.app.conflicts.map((conflict) => [conflict.fileUUID, conflict.local, conflict.remote.version])).toEqual([
      [uuid, "upload", 1],
    ]);
    expect(await indexEntry(phone, uuid)).toMatchObject({ version: 2, sha256: sha256Hex(c2) });
    expect(await cloudContent(harness.server, phone.userName, uuid)).toEqual(c2);
    expect(b.app.saved).toHaveLength(1); // version 1 was not delivered
    expect(await b.store.get("files", uuid)).toMatchObject({ version: 2, sha256: sha256Hex(c2) });
  });

  it("remote upload against local upload, accept-remote: B receives version 1 and uploads nothing", async () => {
    const { phone, b, uuid } = await conflictOn("upload", "upload", "accept-remote");
    await b.client.sync();
    expect(b.app.conflicts).toHaveLength(1);
    expect(b.app.saved.map((saved) => saved.bytes)).toEqual([c0, c1]);
    expect(await indexEntry(phone, uuid)).toMatchObject({ version: 1, sha256: sha256Hex(c1) });
    expect(await b.store.list("committedUploads")).toEqual([]);
    expect(await b.store.list("beingUploaded")).toEqual([]);
  });

  it("remote deletion against local upload, keep-local: the file is undeleted with B's content", async () => {
    const { phone, b, uuid } = await conflictOn("delete", "upload", "keep-local");
    await b.client.sync();
    expect(b.app.conflicts.map((conflict) => [conflict.local, conflict.remote.deleted])).toEqual([["upload", true]]);
    expect(await indexEntry(phone, uuid)).toMatchObject({ version: 1, deleted: false, sha256: sha256Hex(c2) });
    expect(await cloudContent(harness.server, phone.userName, uuid)).toEqual(c2);
    expect(b.app.deleted).toEqual([]);
  });

  it("remote upload against local deletion, accept-remote: B receives version 1 and deletes nothing", async () => {
    const { phone, b, uuid } = await conflictOn("upload", "delete", "accept-remote");
    await b.client.sync();
    expect(b.app.saved.map((saved) => saved.bytes)).toEqual([c0, c1]);
    expect(await indexEntry(phone, uuid)).toMatchObject({ version: 1, deleted: false });
  });

  it("remote upload against local deletion, keep-local: the file is deleted at version 1", async () => {
    const { phone, b, uuid } = await conflictOn("upload", "delete", "keep-local");
    await b.client.sync();
    expect(await indexEntry(phone, uuid)).toMatchObject({ version: 1, deleted: true });
    expect(b.app.saved).toHaveLength(1);
    expect(await b.store.get("files", uuid)).toMatchObject({ deleted: true });
  });

  it("without a resolveConflict callback the sync stops in nonRecoverableError, with the queues kept", async () => {
    const { b } = await conflictOn("upload", "upload", null);
    await expect(b.client.sync()).rejects.toMatchObject({ code: "CONFLICTS_NOT_IMPLEMENTED" });
    expect(b.client.mode).toBe("nonRecoverableError");
    expect(await b.store.get("meta", "mode")).toBe("nonRecoverableError");
    expect(await b.store.list("committedUploads")).toHaveLength(1);
    await expect(b.client.uploadData(randomUUID(), c0, { ...text, cloudFileName: "other.txt" })).rejects.toMatchObject({
      code: "ERROR_MODE",
    });
  });

  it("the same content on both sides is no conflict: nothing is transferred", async () => {
    const phone = await harness.newUser();
    const laptop = await harness.newDevice(phone.userName);
    const a = await harness.openClient(phone);
    const b = await harness.openClient(laptop, { resolveConflict: () => "keep-local" });
    const uuid = randomUUID();
    await a.client.uploadData(uuid, c0, text);
    await a.client.commit();
    await a.client.sync();
    await b.client.uploadData(uuid, c0, text);
    await b.client.commit();
    await b.client.sync();
    expect(b.app.conflicts).toEqual([]);
    expect(b.app.saved).toEqual([]);
    expect(await indexEntry(phone, uuid)).toMatchObject({ version: 0 });
    expect(await b.store.get("files", uuid)).toMatchObject({ version: 0, sha256: sha256Hex(c0) });
    expect(await b.store.list("committedUploads")).toEqual([]);
  });
});
