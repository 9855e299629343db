// @smsync/client: the SDK an app embeds.
export * from "./errors.ts";
export * from "./store/ClientStore.ts";
export { MemoryStore } from "./store/MemoryStore.ts";
export { workCollections, workLeftInStore, type WorkLeft } from "./store/workInProgress.ts";
export { IndexedDbStore, type IndexedDbStoreOptions } from "./store/IndexedDbStore.ts";
export * from "./modes.ts";
export { ClientUsageError } from "./queues/ClientUsageError.ts";
export type { CommittedBatch, LocalFile } from "./queues/records.ts";
// Node and Electron: import { SqliteStore } from "@smsync/client/sqlite" (a native module, kept out of browser bundles).
export * from "./graphql/operations.ts";
export {
  Outbox,
  OutboxError,
  resultData,
  type OutboxEntry,
  type OutboxErrorCode,
  type OutboxEvent,
  type OutboxOptions,
  type OutboxResult,
  type StoredGraphQLError,
  type StoredOutboxResult,
} from "./graphql/outbox/index.ts";
export { createGraphQLClient, type GraphQLClientOptions, type SmsyncGraphQL } from "./graphql/createGraphQLClient.ts";
export * from "./signIn/googleSignIn.ts";
export type * as GraphQLTypes from "./graphql/generated/graphql.ts";
// The byte plane (Node file access inside): import from "@smsync/client/transfers".
// Live mode's options and events (the clients' startLive; the events are those of SyncEvents in ./node and ./browser).
export type { LiveConnectionEvent, LiveConnectionState, LiveOptions, RemoteChangeEvent } from "./engine/liveSync.ts";
// For tests: the clock the client waits on (ClientBaseOptions.clock), and one a test moves.
export { systemClock, type Clock, type TimerPurpose } from "./time/clock.ts";
export { MovableClock, type PendingTimer } from "./time/MovableClock.ts";
