// An inbound copy cut off for good in one attempt (the download's own
// resumes ran out) is resumed by the next attempt from the bytes already in
// staging, with a Range read: a 3 MiB file cut at 1 MiB costs about 2 MiB
// more, not 3. A resumed copy whose content does not match is fetched whole.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { driveFaults, type FakeGoogleDrive } from "@smsync/testkit/fakeGoogleDrive";
import { googleDriveTestBackend, type StartedCloud } from "../support/testCloudBackends.ts";
import {
  committedFileForDownload,
  downloadUrlOf,
  type OperationResult,
  startTestServer,
  type TestServer,
} from "@smsync/testkit";

const mib = 1024 * 1024;
let started: StartedCloud;
let drive: FakeGoogleDrive;
let server: TestServer;

beforeAll(async () => {
  started = await googleDriveTestBackend.start();
  drive = started.drive!;
  server = await startTestServer({}, { cloud: started.storage });
});
afterAll(async () => {
  await server?.close();
  await started?.close();
});

async function downloadedContent(
  laptop: Awaited<ReturnType<typeof committedFileForDownload>>["laptop"],
  op: OperationResult,
): Promise<Buffer> {
  const response = await fetch(downloadUrlOf(op), { headers: { authorization: `Bearer ${laptop.token}` } });
  expect(response.status).toBe(200);
  return buffer(response.body as unknown as AsyncIterable<Buffer>);
}

describe("an inbound copy cut off in one attempt", () => {
  it("is resumed by the next attempt from the bytes in staging", { timeout: 120_000 }, async () => {
    const content = randomBytes(3 * mib);
    const { laptop, fileUUID, lock } = await committedFileForDownload(server, content);
    // Cut at 1 MiB, and every resume of this attempt refused: the attempt fails.
    drive.injectFault({ on: "downloadMedia", fault: driveFaults.dropConnection(mib) });
    drive.injectFault({ on: "downloadMedia", nth: 2, times: 8, fault: driveFaults.serverError(503) });
    const logFrom = drive.log.length;
    const started = await laptop.startInboundTransfer(lock.fencingToken, [{ fileUUID, version: 0 }]);
    const op = await laptop.waitForOperation(started.id, 60_000);
    expect(op.state).toBe("SUCCEEDED");
    expect((await downloadedContent(laptop, op)).equals(content)).toBe(true);
    const served = drive.log.slice(logFrom).filter((entry) => entry.kind === "downloadMedia" && entry.sentBytes);
    expect(served.map((entry) => entry.status)).toEqual(["dropped", 206]);
    // What the cut attempt had written to staging (all of the 1 MiB but what was still buffered) is not fetched again.
    expect(served[1]?.sentBytes).toBeGreaterThanOrEqual(2 * mib);
    expect(served[1]?.sentBytes).toBeLessThan(2 * mib + 256 * 1024);
  });

  it("is fetched whole when the bytes it kept do not match", { timeout: 120_000 }, async () => {
    const content = randomBytes(3 * mib);
    const { laptop, userId, fileUUID, lock } = await committedFileForDownload(server, content);
    // A copy left in staging whose bytes are not the file's (a disk that lost writes, say).
    const target = server.app.services.staging.inboundPath(userId, fileUUID, 0);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(`${target}.${randomUUID()}.partial`, randomBytes(mib));
    const logFrom = drive.log.length;
    const started = await laptop.startInboundTransfer(lock.fencingToken, [{ fileUUID, version: 0 }]);
    const op = await laptop.waitForOperation(started.id, 60_000);
    expect(op.state).toBe("SUCCEEDED");
    expect((await downloadedContent(laptop, op)).equals(content)).toBe(true);
    const served = drive.log.slice(logFrom).filter((entry) => entry.kind === "downloadMedia");
    expect(served.map((entry) => [entry.status, entry.sentBytes])).toEqual([
      [206, 2 * mib],
      [200, 3 * mib],
    ]);
  });
});
