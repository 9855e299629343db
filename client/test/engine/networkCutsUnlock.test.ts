// A network cut at the unlock that ends a sync pass, (a) in the middle of the
// request and (b) after the server released the lock, before its answer
// reached the client. A pass with a transfer ends with it (the transfer
// releases the lock); a pass without one unlocks: here a pass that applies a
// deletion made on another device. The engine's next pass takes the lock
// again as its holder and unlocks; the lock ends free, and the deletion was
// handed to the app once.
import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useProxiedEngineHarness } from "../support/engineHarness.ts";
import { bothCuts, graphql } from "../support/networkCuts.ts";
import { expectNothingPending, syncUntilIdle } from "../support/syncedState.ts";

const { harness, proxy } = useProxiedEngineHarness();

describe("a network cut at the unlock that ends a pass without a transfer", () => {
  for (const cutCase of bothCuts("unlock", graphql("Unlock"))) {
    it(`${cutCase.name}: the next pass unlocks, and the deletion was handed over once`, async () => {
      const user = await harness.newUser();
      const seeder = await harness.openClient(user);
      const device = await harness.openClient(await harness.newDevice(user.userName), {
        serverUrl: proxy.url,
        backoff: { initialMs: 50, maxMs: 250 },
      });
      const fileUUID = randomUUID();
      await seeder.client.uploadData(fileUUID, randomBytes(2048), {
        cloudFileName: "note.txt",
        mimeType: "application/octet-stream",
      });
      await seeder.client.commit();
      await syncUntilIdle(seeder.client);
      await syncUntilIdle(device.client);
      await seeder.client.deleteFile(fileUUID);
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
      expect(device.app.deleted.map((files) => files.map((file) => file.fileUUID))).toEqual([[fileUUID]]);
      await expectNothingPending(device.store);
    });
  }
});
