// A file the server has in its cloud, ready to be downloaded by another
// device: what a test of the inbound transfer starts from.
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import type { TestServer } from "./testServer.ts";
import { tusUpload } from "./uploads.ts";

/** A user with one committed file (version 0 of `content`), and another device of theirs holding the lock. */
export async function committedFileForDownload(server: TestServer, content: Buffer) {
  const phone = await server.newUser();
  const fileUUID = randomUUID();
  const { fencingToken } = await phone.lock();
  await tusUpload(server.url, phone.token!, { fileUUID, version: 0, content, fencingToken });
  expect((await phone.waitForOperation((await phone.commit(fencingToken)).id, 60_000)).state).toBe("SUCCEEDED");
  const laptop = await server.newDevice(phone.userName);
  const { id: userId } = await server.app.services.db.user.findUniqueOrThrow({ where: { name: phone.userName } });
  return { laptop, userId, fileUUID, lock: await laptop.lock() };
}
