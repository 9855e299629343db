// A deletion for device B to apply: the moment in a pass where B works under
// its grant inside an app callback (applyDeletions), which the lease tests
// hold to let time pass or another device act.
import { randomUUID } from "node:crypto";
import type { TestDevice } from "./engineHarness.ts";

/** A file made on A and synced to B, then deleted on A and synced: B's next sync applies the deletion. Returns its fileUUID. */
export async function fileDeletedElsewhere(a: TestDevice, b: TestDevice): Promise<string> {
  const gone = randomUUID();
  await a.client.uploadData(gone, Buffer.from("to be deleted"), { cloudFileName: "gone.txt", mimeType: "text/plain" });
  await a.client.commit();
  await a.client.sync();
  await b.client.sync(); // B holds the file
  await a.client.deleteFile(gone);
  await a.client.commit();
  await a.client.sync();
  return gone;
}
