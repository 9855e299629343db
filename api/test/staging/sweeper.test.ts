// The staging sweeper: expired uncommitted uploads, orphaned bytes and
// expired staged downloads go; committed and fresh ones stay.
import { existsSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { link, mkdir, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepStaging } from "../../src/staging/StagingSweeper.ts";
import { downloadUrlOf, startTestServer, type TestServer, tusUpload } from "@smsync/testkit";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ SMSYNC_UPLOAD_EXPIRY_SECONDS: "3600", SMSYNC_INBOUND_EXPIRY_SECONDS: "3600" });
});
afterAll(async () => {
  await server?.close();
});

describe("sweepStaging", () => {
  it("removes expired uncommitted uploads and orphaned bytes, and keeps committed data", async () => {
    const { db, staging } = server.app.services;
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const committed = await tusUpload(server.url, device.token!, {
      version: 0,
      content: Buffer.from("kept"),
      fencingToken,
    });
    const op = await device.waitForOperation((await device.commit(fencingToken)).id);
    const again = await device.lock();
    const uncommitted = await tusUpload(server.url, device.token!, {
      version: 0,
      content: Buffer.from("left behind"),
      fencingToken: again.fencingToken,
    });
    const uncommittedId = (await db.stagedUpload.findFirstOrThrow({ where: { fileUUID: uncommitted.fileUUID } })).id;
    const orphan = path.join(staging.uploadsDir, "orphan-upload-id");
    await writeFile(orphan, "no row");
    const partial = `${staging.inboundPath(randomUUID(), randomUUID(), 0)}.${randomUUID()}.partial`;
    await mkdir(path.dirname(partial), { recursive: true });
    await writeFile(partial, "half a copy");

    // Now: nothing has expired, and the orphan is too young to be told from an upload being created.
    const now = await sweepStaging(server.app.services);
    expect(now).toEqual({ uploads: 0, inbound: 0 });
    expect(existsSync(staging.uploadPath(uncommittedId))).toBe(true);

    const later = new Date(Date.now() + 2 * 3600 * 1000);
    const swept = await sweepStaging(server.app.services, later);
    expect(swept.uploads).toBeGreaterThanOrEqual(4); // the uncommitted upload's bytes and tus metadata, the orphan, the partial copy
    expect(await db.stagedUpload.count({ where: { id: uncommittedId } })).toBe(0);
    expect(existsSync(staging.uploadPath(uncommittedId))).toBe(false);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(partial)).toBe(false);
    expect(op.state).toBe("SUCCEEDED");
    expect((await device.fileIndex()).files.map((file) => file.fileUUID)).toEqual([committed.fileUUID]);
  });

  it("keeps a file just linked into inbound staging from an old cloud object (old mtime), until its link is old", async () => {
    const { staging } = server.app.services;
    // A staged download linked from its object keeps the object's mtime; the link and the rename set its ctime.
    const object = path.join(server.dir, `object-${randomUUID()}`);
    await writeFile(object, "written long ago");
    const longAgo = new Date(Date.now() - 2 * 3600 * 1000);
    await utimes(object, longAgo, longAgo);
    const linked = `${staging.inboundPath(randomUUID(), randomUUID(), 0)}.link`;
    await mkdir(path.dirname(linked), { recursive: true });
    await link(object, linked);

    await sweepStaging(server.app.services);
    expect(existsSync(linked)).toBe(true);
    await sweepStaging(server.app.services, new Date(Date.now() + 2 * 60_000));
    expect(existsSync(linked)).toBe(false);
    expect(existsSync(object)).toBe(true);
  });

  it("removes staged downloads past the inbound expiry", async () => {
    const { db, staging } = server.app.services;
    const device = await server.newUser();
    let { fencingToken } = await device.lock();
    const { fileUUID } = await tusUpload(server.url, device.token!, {
      version: 0,
      content: Buffer.from("to download"),
      fencingToken,
    });
    await device.waitForOperation((await device.commit(fencingToken)).id);
    ({ fencingToken } = await device.lock());
    const inbound = await device.waitForOperation(
      (await device.startInboundTransfer(fencingToken, [{ fileUUID, version: 0 }])).id,
    );
    expect(inbound.state).toBe("SUCCEEDED");
    const userId = (await db.user.findUniqueOrThrow({ where: { name: device.userName } })).id;
    const file = staging.inboundPath(userId, fileUUID, 0);
    expect(existsSync(file)).toBe(true);
    const swept = await sweepStaging(server.app.services, new Date(Date.now() + 2 * 3600 * 1000));
    expect(swept.inbound).toBeGreaterThanOrEqual(1);
    expect(existsSync(file)).toBe(false);
    expect(await db.inboundStagedFile.count({ where: { userId } })).toBe(0);
    const gone = await fetch(downloadUrlOf(inbound), { headers: { authorization: `Bearer ${device.token}` } });
    expect(gone.status).toBe(404);
  });

  it("removes a staged download whose row is gone (its removal undone by a power loss, or a crash between the two)", async () => {
    const { staging } = server.app.services;
    const device = await server.newUser();
    let { fencingToken } = await device.lock();
    const { fileUUID } = await tusUpload(server.url, device.token!, {
      version: 0,
      content: Buffer.from("kept for download"),
      fencingToken,
    });
    await device.waitForOperation((await device.commit(fencingToken)).id);
    ({ fencingToken } = await device.lock());
    const inbound = await device.waitForOperation(
      (await device.startInboundTransfer(fencingToken, [{ fileUUID, version: 0 }])).id,
    );
    const kept = staging.inboundPath(
      (await server.app.services.db.user.findUniqueOrThrow({ where: { name: device.userName } })).id,
      fileUUID,
      0,
    );
    const stray = staging.inboundPath(randomUUID(), randomUUID(), 3);
    await mkdir(path.dirname(stray), { recursive: true });
    await writeFile(stray, "no row names me");

    // Young, it may be a copy whose row is being written.
    await sweepStaging(server.app.services);
    expect(existsSync(stray)).toBe(true);
    // Older than the grace, not yet past the inbound expiry: the stray goes, the staged download with its row stays.
    const swept = await sweepStaging(server.app.services, new Date(Date.now() + 5 * 60 * 1000));
    expect(swept).toEqual({ uploads: 1, inbound: 0 });
    expect(existsSync(stray)).toBe(false);
    expect(existsSync(kept)).toBe(true);
    expect(inbound.state).toBe("SUCCEEDED");
  });
});
