// The protocol of SPEC section 2 end to end: lock, upload over tus, commit,
// the outbound transfer to the cloud, then an inbound transfer and a
// download by another device of the same user.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadUrlOf, sha256Hex, startTestServer, type TestServer, tusUpload } from "@smsync/testkit";
import { testCloudBackends, type StartedCloud } from "../support/testCloudBackends.ts";

let server: TestServer;

for (const backend of testCloudBackends) {
  describe(`on the ${backend.name} cloud`, () => {
    let cloud: StartedCloud;
    beforeAll(async () => {
      cloud = await backend.start();
      server = await startTestServer({}, { cloud: cloud.storage });
    });
    afterAll(async () => {
      await server?.close();
      await cloud?.close();
    });

    describe("upload, commit, outbound transfer, inbound transfer, download", () => {
      it("moves two files to the cloud and back to another device", async () => {
        const phone = await server.newUser();
        const laptop = await server.newDevice(phone.userName);
        const { fencingToken } = await phone.lock();
        const first = Buffer.from("first file\n");
        const second = Buffer.alloc(300_000, 7);
        const a = await tusUpload(server.url, phone.token!, {
          version: 0,
          content: first,
          fencingToken,
          cloudFileName: "a.txt",
          mimeType: "text/plain",
          appMetaData: '{"title":"A"}',
        });
        const b = await tusUpload(server.url, phone.token!, {
          version: 0,
          content: second,
          fencingToken,
          cloudFileName: "b.bin",
        });

        const committed = await phone.commit(fencingToken);
        expect(committed.kind).toBe("OUTBOUND");
        expect(committed.filesTotal).toBe(2);
        const done = await phone.waitForOperation(committed.id);
        expect(done.state).toBe("SUCCEEDED");
        expect(done.bytesDone).toBe(first.length + second.length);

        const index = await laptop.fileIndex();
        const byUUID = Object.fromEntries(index.files.map((file) => [file.fileUUID, file]));
        expect(byUUID[a.fileUUID]).toMatchObject({
          version: 0,
          deleted: false,
          cloudFileName: "a.txt",
          mimeType: "text/plain",
          appMetaData: '{"title":"A"}',
          sha256: sha256Hex(first),
          size: first.length,
        });
        expect(byUUID[b.fileUUID]).toMatchObject({ version: 0, sha256: sha256Hex(second), size: second.length });

        const objects = await server.app.services.cloud.listObjects(
          (await server.app.services.db.user.findUniqueOrThrow({ where: { name: phone.userName } })).id,
        );
        expect(objects.map((object) => `${object.fileUUID}.v${object.version}`).sort()).toEqual(
          [`${a.fileUUID}.v0`, `${b.fileUUID}.v0`].sort(),
        );

        // The lock was released by the transfer: the laptop can take it.
        const laptopLock = await laptop.lock();
        expect(laptopLock.fencingToken).toBe(fencingToken + 1);
        const inbound = await laptop.startInboundTransfer(laptopLock.fencingToken, [
          { fileUUID: a.fileUUID, version: 0 },
          { fileUUID: b.fileUUID, version: 0 },
        ]);
        const staged = await laptop.waitForOperation(inbound.id);
        expect(staged.state).toBe("SUCCEEDED");
        const downloadUrl = downloadUrlOf(staged, b.fileUUID);
        const response = await fetch(downloadUrl, { headers: { authorization: `Bearer ${laptop.token}` } });
        expect(response.status).toBe(200);
        expect(response.headers.get("x-smsync-sha256")).toBe(sha256Hex(second));
        expect(Buffer.from(await response.arrayBuffer()).equals(second)).toBe(true);

        const ranged = await fetch(downloadUrl, {
          headers: { authorization: `Bearer ${laptop.token}`, range: "bytes=100-199" },
        });
        expect(ranged.status).toBe(206);
        expect(Buffer.from(await ranged.arrayBuffer()).equals(second.subarray(100, 200))).toBe(true);

        // The inbound transfer released the lock too.
        expect((await phone.lock()).heldPreviously).toBe(false);
      });

      it("replaces the cloud object of a new version and removes it on deletion", async () => {
        const device = await server.newUser();
        const userId = (await server.app.services.db.user.findUniqueOrThrow({ where: { name: device.userName } })).id;
        const fileUUID = randomUUID();
        let { fencingToken } = await device.lock();
        await tusUpload(server.url, device.token!, { fileUUID, version: 0, content: Buffer.from("v0"), fencingToken });
        await device.waitForOperation((await device.commit(fencingToken)).id);
        ({ fencingToken } = await device.lock());
        await tusUpload(server.url, device.token!, { fileUUID, version: 1, content: Buffer.from("v1"), fencingToken });
        await device.waitForOperation((await device.commit(fencingToken)).id);
        expect((await server.app.services.cloud.listObjects(userId)).map((o) => o.version)).toEqual([1]);

        ({ fencingToken } = await device.lock());
        await device.deleteFiles(fencingToken, [{ fileUUID, version: 1 }]);
        const deletion = await device.waitForOperation((await device.commit(fencingToken)).id);
        expect(deletion.state).toBe("SUCCEEDED");
        expect(await server.app.services.cloud.listObjects(userId)).toEqual([]);
        const [entry] = (await device.fileIndex()).files;
        expect(entry).toMatchObject({ fileUUID, version: 1, deleted: true });
      });
    });
  });
}
