// What the client store holds: each collection with the type of its
// records, each "meta" key with the type of its value, and a zod schema for
// each, against which every value is checked when written and when read
// (recordValidation.ts). The one place to look when a stored shape changes:
// change the type and the schema here (the compiler holds them equal), bump
// currentSchemaVersion and add a migration (migrations.ts).
//
// The record types stay where their code lives (the engine's state in
// engine/state.ts, the outbox's in graphql/outbox/records.ts...); the schemas are
// written against them.
import { z } from "zod";
import type { BeingDownloaded, BeingUploaded, InboundState, OutboundState } from "../engine/state.ts";
import type { OutboxEntry, StoredGraphQLError, StoredOutboxResult } from "../graphql/outbox/records.ts";
import { modes, type Mode } from "../modes.ts";
import type {
  CommittedBatch,
  HeldFile,
  LocalFile,
  PreparedChange,
  PreparedDeletion,
  PreparedUpload,
  UploadSource,
} from "../queues/records.ts";
import type { TusResumeEntry } from "../transfers/tusResumeEntry.ts";
import type { IndexEntry } from "../engine/planDownloads.ts";

/** The record type of each collection but "meta", by collection. */
export interface StoredRecords {
  /** Per fileUUID: the local file's known version, sha256, name, deleted flag. */
  files: LocalFile;
  /** Per fileUUID: uploads and deletions queued before commit. */
  uploadsBeingPrepared: PreparedChange;
  /** Per batch sequence number: committed batches waiting their turn, in order. */
  committedUploads: CommittedBatch;
  /** Per fileUUID: the batch being uploaded now. */
  beingUploaded: BeingUploaded;
  /** Per fileUUID: the downloads being processed now. */
  beingDownloaded: BeingDownloaded;
  /** Per sequence number: mutations waiting to be sent, in order (the outbox). */
  outbox: OutboxEntry;
  /** Per idempotency key: results of sent mutations, until the engine has used them. */
  outboxResults: StoredOutboxResult;
  /** Per upload fingerprint: tus resume state (upload URL). */
  tusUploads: TusResumeEntry;
}

/** The "meta" collection's single values, by key. */
export interface MetaValues {
  /** The client's Mode. */
  mode: Mode;
  /** The number the next committed batch gets. */
  nextBatch: number;
  /** The pending lock request's idempotency key. */
  "engine.lockKey": string;
  /** While beingDownloaded holds files. */
  "engine.inbound": InboundState;
  /** While beingUploaded holds a batch. */
  "engine.outbound": OutboundState;
}

export type RecordCollection = keyof StoredRecords;
export type Collection = "meta" | RecordCollection;
export type MetaKey = keyof MetaValues;

/** A schema whose output is exactly T: each assignable to the other, so the two cannot drift apart. */
const schemaOf =
  <T>() =>
  <S extends z.ZodType<T>>(schema: S & ([T] extends [z.output<S>] ? unknown : never)): S =>
    schema;

const uploadSource = schemaOf<UploadSource>()(
  z.union([z.object({ path: z.string() }), z.object({ base64: z.string() }), z.object({ blobKey: z.string() })]),
);

const preparedUpload = schemaOf<PreparedUpload>()(
  z.object({
    kind: z.literal("upload"),
    fileUUID: z.string(),
    source: uploadSource,
    cloudFileName: z.string(),
    mimeType: z.string(),
    appMetaData: z.string().nullable(),
    sha256: z.string(),
    size: z.number(),
    immutable: z.boolean(),
    linked: z.boolean().optional(),
    queuedAt: z.string(),
  }),
);

const preparedDeletion = schemaOf<PreparedDeletion>()(
  z.object({ kind: z.literal("delete"), fileUUID: z.string(), queuedAt: z.string() }),
);

const preparedChange = schemaOf<PreparedChange>()(z.discriminatedUnion("kind", [preparedUpload, preparedDeletion]));

const heldFile = schemaOf<HeldFile>()(
  z.object({
    fileUUID: z.string(),
    version: z.number().nullable(),
    sha256: z.string(),
    cloudFileName: z.string(),
    mimeType: z.string(),
    appMetaData: z.string().nullable(),
    deleted: z.boolean(),
  }),
);

const localFile = schemaOf<LocalFile>()(heldFile.extend({ heldBeforeKeepLocal: heldFile.nullable().optional() }));

const committedBatch = schemaOf<CommittedBatch>()(
  z.object({ batch: z.number(), changes: z.array(preparedChange), committedAt: z.string() }),
);

const beingUploaded = schemaOf<BeingUploaded>()(
  z.object({ change: preparedChange, version: z.number(), undelete: z.boolean().optional(), done: z.boolean() }),
);

const indexEntry = schemaOf<IndexEntry>()(
  z.object({
    fileUUID: z.string(),
    cloudFileName: z.string(),
    mimeType: z.string(),
    appMetaData: z.string().nullable(),
    version: z.number(),
    deleted: z.boolean(),
    size: z.number(),
    sha256: z.string(),
  }),
);

const beingDownloaded = schemaOf<BeingDownloaded>()(z.object({ entry: indexEntry }));

const outboxEntry = schemaOf<OutboxEntry>()(
  z.object({
    sequence: z.number(),
    idempotencyKey: z.string(),
    operationName: z.string().nullable(),
    query: z.string(),
    variables: z.record(z.string(), z.unknown()),
    enqueuedAt: z.string(),
  }),
);

const storedGraphQLError = schemaOf<StoredGraphQLError>()(
  z.object({
    message: z.string(),
    path: z
      .array(z.union([z.string(), z.number()]))
      .readonly()
      .optional(),
    extensions: z.record(z.string(), z.unknown()).optional(),
  }),
);

const storedOutboxResult = schemaOf<StoredOutboxResult>()(
  z.object({
    idempotencyKey: z.string(),
    operationName: z.string().nullable(),
    variables: z.record(z.string(), z.unknown()),
    data: z.unknown(),
    errors: z.array(storedGraphQLError),
    storedAt: z.string(),
  }),
);

const tusResumeEntry = schemaOf<TusResumeEntry>()(
  z.object({
    fingerprint: z.string(),
    fileUUID: z.string(),
    version: z.number(),
    sha256: z.string(),
    fencingToken: z.number(),
    uploadUrl: z.string(),
    size: z.number().nullable(),
    metadata: z.record(z.string(), z.string()),
    creationTime: z.string(),
  }),
);

const inboundState = schemaOf<InboundState>()(
  z.object({
    idempotencyKey: z.string(),
    fencingToken: z.number(),
    files: z.array(z.object({ fileUUID: z.string(), version: z.number() })),
    operationId: z.string().nullable(),
  }),
);

const outboundState = schemaOf<OutboundState>()(
  z.object({
    batch: z.number(),
    committedAt: z.string(),
    fencingToken: z.number(),
    deleteKey: z.string(),
    deletionsRecorded: z.boolean(),
    commitKey: z.string(),
    commitSent: z.boolean(),
    operationId: z.string().nullable(),
    resumes: z.number(),
  }),
);

export const recordSchemas: { readonly [C in RecordCollection]: z.ZodType<StoredRecords[C]> } = {
  files: localFile,
  uploadsBeingPrepared: preparedChange,
  committedUploads: committedBatch,
  beingUploaded,
  beingDownloaded,
  outbox: outboxEntry,
  outboxResults: storedOutboxResult,
  tusUploads: tusResumeEntry,
};

export const metaSchemas: { readonly [K in MetaKey]: z.ZodType<MetaValues[K]> } = {
  mode: schemaOf<Mode>()(z.enum(modes)),
  nextBatch: z.number(),
  "engine.lockKey": z.string(),
  "engine.inbound": inboundState,
  "engine.outbound": outboundState,
};

/** Every collection, "meta" first. */
export const collections: readonly Collection[] = ["meta", ...(Object.keys(recordSchemas) as RecordCollection[])];

/** The keys a collection has: any string, but in "meta" only the keys it names. */
export type KeyIn<C extends Collection> = C extends "meta" ? MetaKey : string;

/** What a collection holds under a key. */
export type ValueAt<C extends Collection, K extends string = string> = C extends "meta"
  ? K extends MetaKey
    ? MetaValues[K]
    : never
  : C extends RecordCollection
    ? StoredRecords[C]
    : never;

export interface StoredEntry<T, K extends string = string> {
  key: K;
  value: T;
}

/** An entry of a collection as `list` gives it; in "meta", the key tells the value's type. */
export type EntryOf<C extends Collection> = C extends "meta"
  ? { [K in MetaKey]: StoredEntry<MetaValues[K], K> }[MetaKey]
  : C extends RecordCollection
    ? StoredEntry<StoredRecords[C]>
    : never;
