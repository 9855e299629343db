// @smsync/testkit: what the tests, the simulator and the benches of every
// workspace share to run smsync for real and break it on purpose: the test
// server in process or as a process, its test databases, a GraphQL client,
// tus uploads, subscriptions, a faulty cloud, a proxy that cuts connections,
// a small file system that fills, and syscall traces.
//   The fake Google Drive:  "@smsync/testkit/fakeGoogleDrive"
//   Bench helpers:          "@smsync/testkit/bench"
//   The unit tier's guard:  "@smsync/testkit/unitTierGuard" (a vitest setup file)
export * from "./testServer.ts";
export * from "./useTestServer.ts";
export * from "./useCuttingProxy.ts";
export * from "./serverProcess.ts";
export * from "./testDatabase.ts";
export * from "./graphqlClient.ts";
export * from "./uploads.ts";
export * from "./batches.ts";
export * from "./subscriptions.ts";
export * from "./graphqlSocket.ts";
export * from "./rowCounts.ts";
export * from "./matchers.ts";
export * from "./tuple.ts";
export * from "./eventually.ts";
export * from "./FaultyCloudStorage.ts";
export * from "./cuttingProxy.ts";
export * from "./smallFileSystem.ts";
export * from "./fileSystemTrace.ts";
export { nodeArgs, sourceNodeOptions } from "./processBundles.ts";
export * from "./committedFile.ts";
