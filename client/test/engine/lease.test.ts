// The engine renews its lock's lease while it works. With 1 s leases, an app
// that takes longer than that to apply a deletion (the lock is held
// meanwhile) does not lose the lock to another device, and the batch that
// follows is uploaded under the same grant.
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { useEngineHarness } from "../support/engineHarness.ts";
import { sha256Hex } from "../transfers/helpers.ts";
import { indexEntry } from "../support/serverReads.ts";

const harness = useEngineHarness({ SMSYNC_LOCK_TTL_SECONDS: "1" });

const text = { mimeType: "text/plain" };
const lockQuery = `mutation($key: String!) { lock(idempotencyKey: $key) { fencingToken } }`;

it("keeps the lock past its first lease while the app applies a deletion, then uploads under it", async () => {
  const phone = await harness.newUser();
  const laptopRaw = await harness.newDevice(phone.userName);
  const tabletRaw = await harness.newDevice(phone.userName);
  const a = await harness.openClient(phone);
  const tabletAnswers: string[] = [];
  const b = await harness.openClient(laptopRaw, {
    async beforeApplyDeletions() {
      // Long past the 1 s lease B was granted at the start of this pass; then another device asks for the lock.
      const start = Date.now();
      while (Date.now() - start < 2500) await new Promise((resolve) => setTimeout(resolve, 100));
      tabletAnswers.push(
        (await tabletRaw.request(lockQuery, { key: randomUUID() })).errors?.[0]?.extensions?.code ?? "granted",
      );
    },
  });
  const gone = randomUUID();
  await a.client.uploadData(gone, Buffer.from("to be deleted"), { cloudFileName: "gone.txt", ...text });
  await a.client.commit();
  await a.client.sync();
  await b.client.sync(); // B holds the file
  await a.client.deleteFile(gone);
  await a.client.commit();
  await a.client.sync();

  const fresh = randomUUID();
  const content = Buffer.from("B's upload after the slow deletion");
  await b.client.uploadData(fresh, content, { cloudFileName: "fresh.txt", ...text });
  await b.client.commit();
  await b.client.sync();

  expect(tabletAnswers).toEqual(["LOCK_HELD"]);
  expect(b.client.mode).toBe("idle");
  expect(b.app.deleted.map((files) => files.map((file) => file.fileUUID))).toEqual([[gone]]);
  const entry = await indexEntry(phone, fresh);
  expect(entry).toMatchObject({ version: 0, sha256: sha256Hex(content) });
});
