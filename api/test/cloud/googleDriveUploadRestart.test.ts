// A server process killed in the middle of a Drive upload resumes the same
// resumable session when it is started again (the session URI is kept with
// the transfer's file row), from the offset Drive reports: the bytes Drive
// had are not sent again, and no second session is opened.
import { randomBytes } from "node:crypto";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { googleDriveProcessCloud, type GoogleDriveProcessCloud } from "../support/processClouds.ts";
import { ProcessServer, tusUpload } from "@smsync/testkit";

const env = { SMSYNC_TRANSFER_CLAIM_SECONDS: "1" };
const mib = 1024 * 1024;
/** The server's Drive upload chunk (GoogleDriveStorage's default). */
const chunk = 8 * mib;

describe("a Drive upload cut by a kill -9 of the server", () => {
  let cloud: GoogleDriveProcessCloud;
  let server: ProcessServer;

  beforeAll(async () => {
    cloud = await googleDriveProcessCloud();
    server = await ProcessServer.create(cloud.serverOptions);
    await server.start(env);
  });
  afterAll(async () => {
    await server?.close();
    await cloud?.close();
  });

  it("resumes its session after the restart and sends no byte twice", { timeout: 180_000 }, async () => {
    const user = await server.newUser();
    const account = cloud.accountOf(user.userId);
    const content = randomBytes(2 * chunk + 3 * mib);
    const fileUUID = randomUUID();
    const { fencingToken } = await user.client.lock();
    await tusUpload(server.url, user.client.token!, {
      fileUUID,
      version: 0,
      content,
      fencingToken,
      cloudFileName: "big.bin",
    });

    // The server dies as its second chunk starts to arrive: Drive has the first 8 MiB (on a loaded machine the
    // killed process may still get the second one out).
    const crashed = server.current!;
    cloud.drive.onRequest = (entry) => {
      const chunks = cloud.drive.log.filter((seen) => seen.kind === "uploadChunk" && seen.account === account);
      if (entry.kind === "uploadChunk" && entry.account === account && chunks.length === 2)
        process.kill(crashed.pid, "SIGKILL");
    };
    const operation = await user.client.commit(fencingToken);
    expect(await crashed.waitForExit(60_000)).toMatchObject({ signal: "SIGKILL" });
    cloud.drive.onRequest = undefined;
    const logFrom = cloud.drive.log.length;

    await server.start(env);
    const done = await user.client.waitForOperation(operation.id, 120_000);
    expect(done, server.current?.output()).toMatchObject({ state: "SUCCEEDED" });

    const ofUser = (entries: typeof cloud.drive.log) => entries.filter((entry) => entry.account === account);
    expect(ofUser(cloud.drive.requestsOf("startUpload"))).toHaveLength(1);
    const after = ofUser(cloud.drive.log.slice(logFrom)).filter(
      (entry) => entry.kind === "uploadChunk" || entry.kind === "uploadStatus",
    );
    // Drive has the first chunk, or (the killed process ran on long enough to send it whole) the second too:
    // the restarted server asks Drive, then sends from there on, each byte once.
    const [status, ...chunks] = after.map((entry) => `${entry.kind} ${entry.contentRange}`);
    expect(status).toBe(`uploadStatus bytes */${content.length}`);
    const held = Number(/bytes (\d+)-/.exec(chunks[0] ?? "")?.[1]);
    expect([chunk, 2 * chunk]).toContain(held);
    const ranges: string[] = [];
    for (let start = held; start < content.length; start += chunk)
      ranges.push(`uploadChunk bytes ${start}-${Math.min(start + chunk, content.length) - 1}/${content.length}`);
    expect(chunks).toEqual(ranges);
    expect(after.reduce((sum, entry) => sum + entry.bodyBytes, 0)).toBe(content.length - held);
    await cloud.expectObjects(server, user.userId, [{ fileUUID, version: 0, content }]);
    const item = await server.db().operationItem.findFirstOrThrow({ where: { operationId: operation.id } });
    expect(item.cloudUploadSession).toBeNull();
  });
});
