// A batch that would stage more than the server's staging quota
// (SMSYNC_STAGING_QUOTA_BYTES): the refused upload comes out as a typed
// StagingQuotaExceededError, and the pass ends in nonRecoverableError at
// once, since every later pass would stage the same batch again.
import { randomBytes, randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { StagingQuotaExceededError } from "../../src/errors.ts";
import { useEngineHarness } from "../support/engineHarness.ts";

// Files over 1000 bytes go over tus; the two files of the batch pass the quota together.
const harness = useEngineHarness({
  SMSYNC_STAGING_QUOTA_BYTES: "5000",
  SMSYNC_MAX_UPLOAD_BYTES: "5000",
  SMSYNC_BATCH_MAX_FILE_BYTES: "1000",
});

it("a batch over the staging quota: StagingQuotaExceededError, nonRecoverableError, nothing committed", async () => {
  const phone = await harness.newUser();
  const device = await harness.openClient(phone);
  for (const name of ["first.bin", "second.bin"]) {
    await device.client.uploadData(randomUUID(), randomBytes(3000), {
      cloudFileName: name,
      mimeType: "application/octet-stream",
    });
  }
  await device.client.commit();

  const failure: unknown = await device.client.sync().catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(StagingQuotaExceededError);
  expect(failure).toMatchObject({ code: "STAGING_QUOTA_EXCEEDED", details: { status: 413, quotaBytes: 5000 } });
  expect(device.client.mode).toBe("nonRecoverableError");
  expect((await phone.fileIndex()).files).toEqual([]);
});
