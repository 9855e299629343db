// For engine tests that make the server's cloud fail: a FaultyCloudStorage
// around a local directory cloud of the test file's own, to pass to the
// harness (useEngineHarness(env, { cloud })). Call at a test file's top
// level: the cloud heals after each test and its directory goes after all.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach } from "vitest";
import { LocalDirectoryStorage } from "@smsync/api";
import { FaultyCloudStorage } from "@smsync/testkit";

export function useFaultyLocalCloud(): FaultyCloudStorage {
  const root = mkdtempSync(path.join(tmpdir(), "smsync-engine-cloud-"));
  const cloud = new FaultyCloudStorage(new LocalDirectoryStorage(root));
  afterEach(() => {
    cloud.heal();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return cloud;
}
