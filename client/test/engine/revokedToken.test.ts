// A device whose token the server refuses cannot sync until it signs in
// again: the client stops in nonRecoverableError, not in endless retries.
import { describe, expect, it } from "vitest";
import { TestGraphQLClient } from "../../../api/test/support/graphqlClient.ts";
import { useEngineHarness } from "../support/engineHarness.ts";

const harness = useEngineHarness();

describe("a refused token", () => {
  it("ends the sync in nonRecoverableError", async () => {
    const forged = new TestGraphQLClient(harness.server.url, "smsync_forged-token");
    const device = await harness.openClient(forged);
    await device.client.uploadData("6f1c6a8e-0d7e-4a43-9a53-3d0e6f0f4c99", Buffer.from("x"), { cloudFileName: "x.txt", mimeType: "text/plain" });
    await device.client.commit();
    const outcome = await Promise.race([
      device.client.sync().then(
        () => "resolved",
        (error: Error) => `rejected: ${error.name}`,
      ),
      new Promise((resolve) => setTimeout(() => resolve("still running after 10 s"), 10_000)),
    ]);
    expect(device.client.mode, String(outcome)).toBe("nonRecoverableError");
  });
});
