// The engine renews its lock's lease while it works. An app that takes longer
// than the lease to apply a deletion (the lock is held meanwhile) does not
// lose the lock to another device, and the batch that follows is uploaded
// under the same grant. Time is moved, not waited for: the server's clock
// and the client's move together past the first lease's end, and the client's
// lease timers fire only because its clock moved (a 60 s lease, far longer
// than the test runs).
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { MovableClock } from "../../src/time/MovableClock.ts";
import { fileDeletedElsewhere } from "../support/deletedElsewhere.ts";
import { useEngineHarness } from "../support/engineHarness.ts";
import { sha256Hex } from "../transfers/helpers.ts";
import { indexEntry } from "../support/serverReads.ts";

const leaseSeconds = 60;
const harness = useEngineHarness({ SMSYNC_LOCK_TTL_SECONDS: String(leaseSeconds) });

const text = { mimeType: "text/plain" };
const lockQuery = `mutation($key: String!) { lock(idempotencyKey: $key) { fencingToken } }`;

it("keeps the lock past its first lease while the app applies a deletion, then uploads under it", async () => {
  const phone = await harness.newUser();
  const laptopRaw = await harness.newDevice(phone.userName);
  const tabletRaw = await harness.newDevice(phone.userName);
  const a = await harness.openClient(phone);
  const tabletAnswers: string[] = [];
  const clock = new MovableClock();
  /** Both clocks a little past half a lease: the client renews at half the time left. */
  const step = (leaseSeconds / 2 + 1) * 1000;
  const b = await harness.openClient(laptopRaw, {
    clock,
    async beforeApplyDeletions() {
      // B holds a grant it renews: the server's clock and B's move past half of it...
      const renewed = clock.nextTimer("leaseRenewal");
      harness.server.clock.advance(step);
      clock.advance(step);
      // ...B renews, and sets its next renewal once the server has answered...
      await renewed;
      // ...and on, past the end of the first lease, then another device asks for the lock.
      const renewedAgain = clock.nextTimer("leaseRenewal");
      harness.server.clock.advance(step);
      clock.advance(step);
      await renewedAgain;
      tabletAnswers.push(
        (await tabletRaw.request(lockQuery, { key: randomUUID() })).errors?.[0]?.extensions?.code ?? "granted",
      );
    },
  });
  const gone = await fileDeletedElsewhere(a, b);

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
