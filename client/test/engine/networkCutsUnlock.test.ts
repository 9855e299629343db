// A network cut at the unlock that ends a sync pass, (a) in the middle of the
// request and (b) after the server released the lock, before its answer
// reached the client. Only a pass with no batch of its own to upload ends
// with an unlock (a batch's transfer releases the lock itself, and its pass
// ends there): here a pass that brings a file down. The engine's next pass
// takes the lock again as its holder and unlocks; the lock ends free, and
// the file was handed to the app once.
import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useProxiedEngineHarness } from "../support/engineHarness.ts";
import { bothCuts, graphql } from "../support/networkCuts.ts";
import { expectNothingPending, syncUntilIdle } from "../support/syncedState.ts";
import { sha256Hex } from "../transfers/helpers.ts";

const { harness, proxy } = useProxiedEngineHarness();

describe("a network cut at the unlock that ends a download pass", () => {
  for (const cutCase of bothCuts("unlock", graphql("Unlock"))) {
    it(`${cutCase.name}: the next pass unlocks, and the download was handed over once`, async () => {
      const user = await harness.newUser();
      const seeder = await harness.openClient(user);
      const device = await harness.openClient(await harness.newDevice(user.userName), {
        serverUrl: proxy.url,
        backoff: { initialMs: 50, maxMs: 250 },
      });
      const fileUUID = randomUUID();
      const content = randomBytes(2048);
      await seeder.client.uploadData(fileUUID, content, {
        cloudFileName: "note.txt",
        mimeType: "application/octet-stream",
      });
      await seeder.client.commit();
      await syncUntilIdle(seeder.client);

      proxy.resetStats();
      void proxy.cutAfter(cutCase.rule);
      try {
        const modes = await syncUntilIdle(device.client);
        expect(proxy.stats.cuts, "the cut happened").toBe(1);
        expect(modes).toContain("networkNotConnected");
        expect(modes.at(-1)).toBe("idle");
      } finally {
        proxy.disarm();
      }

      const { db } = harness.server.app.services;
      const userId = (await db.user.findUniqueOrThrow({ where: { name: user.userName } })).id;
      expect((await db.lock.findUnique({ where: { userId } }))?.holderDeviceId ?? null, "lock holder").toBeNull();
      expect(device.app.saved.map(({ file, bytes }) => [file.fileUUID, file.version, sha256Hex(bytes)])).toEqual([
        [fileUUID, 0, sha256Hex(content)],
      ]);
      await expectNothingPending(device.store);
    });
  }
});
