// A device whose token the server refuses cannot sync until it signs in
// again: the client stops in nonRecoverableError, not in endless retries.
import { describe, expect, it } from "vitest";
import { TestGraphQLClient } from "@smsync/testkit";
import { useEngineHarness } from "../support/engineHarness.ts";

const harness = useEngineHarness();

describe("a refused token", () => {
  it("ends the sync in nonRecoverableError", async () => {
    const forged = new TestGraphQLClient(harness.server.url, "smsync_forged-token");
    const device = await harness.openClient(forged);
    await device.client.uploadData("6f1c6a8e-0d7e-4a43-9a53-3d0e6f0f4c99", Buffer.from("x"), {
      cloudFileName: "x.txt",
      mimeType: "text/plain",
    });
    await device.client.commit();
    // No timer: the pass must end on its own (endless retries would leave sync() pending, and the test would time out).
    const outcome = await device.client.sync().then(
      () => "resolved",
      (error: Error) => `rejected: ${error.name}: ${error.message}`,
    );
    expect(outcome).toMatch(/^rejected/);
    expect(device.client.mode, outcome).toBe("nonRecoverableError");
  });
});
