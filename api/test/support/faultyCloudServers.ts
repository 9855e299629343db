// A test server over each test cloud backend behind a FaultyCloudStorage:
// `onEachFaultyCloud(environment, (started) => ({ server, cloud } = started), () => { ...tests })`
// runs the tests once per backend, healing the cloud after each test.
import { afterAll, afterEach, beforeAll, describe } from "vitest";
import { FaultyCloudStorage, startTestServer, type TestServer } from "@smsync/testkit";
import { testCloudBackends, type StartedCloud } from "./testCloudBackends.ts";

export function onEachFaultyCloud(
  environment: Record<string, string>,
  use: (started: { server: TestServer; cloud: FaultyCloudStorage }) => void,
  tests: () => void,
): void {
  for (const backend of testCloudBackends) {
    describe(`on the ${backend.name} cloud`, () => {
      let started: StartedCloud | undefined;
      let server: TestServer | undefined;
      let cloud: FaultyCloudStorage;
      beforeAll(async () => {
        started = await backend.start();
        cloud = new FaultyCloudStorage(started.storage);
        server = await startTestServer(environment, { cloud });
        use({ server, cloud });
      });
      afterEach(() => {
        cloud.heal();
      });
      afterAll(async () => {
        await server?.close();
        await started?.close();
      });
      tests();
    });
  }
}
