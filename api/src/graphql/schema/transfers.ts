import { SmsyncError } from "../../errors/SmsyncError.ts";
import type { LoggedEvent } from "../../events/eventLog.ts";
import { followEvents } from "../../events/followEvents.ts";
import { idempotentMutation } from "../../idempotency/idempotentMutation.ts";
import { commit } from "../../transfers/commit.ts";
import {
  loadOperationFiles,
  readOperationStatus,
  type LazyOperationView,
  type OperationFileView,
} from "../../transfers/operationView.ts";
import { startInboundTransfer } from "../../transfers/startInboundTransfer.ts";
import { isEnded, itemActions, itemStates, operationKinds, operationStates } from "../../transfers/states.ts";
import { downloadsPath } from "../../downloads/downloadHandler.ts";
import { builder, idempotencyKeyDescription } from "../builder.ts";
import { FileVersionInput } from "./fileIndex.ts";
import { requireCaller } from "../context.ts";

const OperationKindEnum = builder.enumType("OperationKind", { values: operationKinds });
const OperationStateEnum = builder.enumType("OperationState", { values: operationStates });
const ItemActionEnum = builder.enumType("TransferAction", { values: itemActions });
const ItemStateEnum = builder.enumType("TransferFileState", { values: itemStates });

const OperationFileType = builder.objectRef<OperationFileView>("OperationFile").implement({
  fields: (t) => ({
    fileUUID: t.exposeID("fileUUID"),
    version: t.exposeInt("version"),
    action: t.field({ type: ItemActionEnum, resolve: (file) => file.action }),
    state: t.field({ type: ItemStateEnum, resolve: (file) => file.state }),
    size: t.exposeFloat("size"),
    sha256: t.exposeString("sha256"),
    downloadUrl: t.string({
      nullable: true,
      description: "For a staged download: where to GET it.",
      resolve: (file, _args, { origin }) =>
        file.action === "DOWNLOAD" && file.state === "DONE"
          ? `${origin}${downloadsPath}/${file.fileUUID}/${file.version}`
          : null,
    }),
  }),
});

export const OperationType = builder.objectRef<LazyOperationView>("Operation").implement({
  description: "An outbound (staging to cloud) or inbound (cloud to staging) transfer.",
  fields: (t) => ({
    id: t.exposeID("id"),
    kind: t.field({ type: OperationKindEnum, resolve: (op) => op.kind }),
    state: t.field({ type: OperationStateEnum, resolve: (op) => op.state }),
    attempts: t.exposeInt("attempts"),
    failedPhase: t.exposeString("failedPhase", { nullable: true }),
    errorCode: t.exposeString("errorCode", { nullable: true }),
    errorMessage: t.exposeString("errorMessage", { nullable: true }),
    filesTotal: t.exposeInt("filesTotal"),
    filesDone: t.exposeInt("filesDone"),
    bytesTotal: t.exposeFloat("bytesTotal"),
    bytesDone: t.exposeFloat("bytesDone"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    files: t.field({
      type: [OperationFileType],
      resolve: (op, _args, { services }) => op.files ?? loadOperationFiles(services.db, op.id),
    }),
  }),
});

builder.queryField("operation", (t) =>
  t.field({
    type: OperationType,
    nullable: true,
    description: "A transfer of the caller's user (the polling fallback of transferProgress).",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => {
      const caller = requireCaller(context);
      return readOperationStatus(context.services.db, caller.userId, String(args.id));
    },
  }),
);

builder.mutationField("commit", (t) =>
  t.field({
    type: OperationType,
    description:
      "Closes the batch of staged uploads and upload-deletions into an outbound transfer that runs asynchronously. Again under the same lock grant: the same operation, resumed if it failed.",
    args: {
      idempotencyKey: t.arg.string({ required: true, description: idempotencyKeyDescription }),
      fencingToken: t.arg.int({ required: true }),
    },
    resolve: async (_root, args, context) => {
      const caller = requireCaller(context);
      const view = await idempotentMutation(
        context.services,
        caller,
        "commit",
        args.idempotencyKey,
        args,
        (tx, events) => commit(tx, events, caller, args.fencingToken),
      );
      context.services.transferWakeups.wake();
      return view;
    },
  }),
);

builder.mutationField("startInboundTransfer", (t) =>
  t.field({
    type: OperationType,
    description:
      "Copies the named files (at their index versions) from the cloud into staging for download, then releases the lock.",
    args: {
      idempotencyKey: t.arg.string({ required: true, description: idempotencyKeyDescription }),
      fencingToken: t.arg.int({ required: true }),
      files: t.arg({ type: [FileVersionInput], required: true }),
    },
    resolve: async (_root, args, context) => {
      const caller = requireCaller(context);
      const view = await idempotentMutation(
        context.services,
        caller,
        "startInboundTransfer",
        args.idempotencyKey,
        args,
        (tx, events) => startInboundTransfer(tx, events, caller, args.fencingToken, args.files),
      );
      context.services.transferWakeups.wake();
      return view;
    },
  }),
);

interface TransferredFileView {
  fileUUID: string;
  version: number;
  bytes: number;
}

interface TransferEventView {
  seq: number;
  operationId: string;
  type: string;
  state: string | null;
  files: TransferredFileView[] | null;
  filesDone: number | null;
  filesTotal: number | null;
  bytesDone: number | null;
  bytesTotal: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  at: Date;
}

function transferEventView(event: LoggedEvent): TransferEventView {
  const { payload } = event;
  const pick = <T>(key: string) => (payload[key] ?? null) as T | null;
  // A FILE_TRANSFERRED of a server before FILES_TRANSFERRED: the same event, of one file.
  const legacy = event.type === "FILE_TRANSFERRED";
  const files = legacy ? [payload as unknown as TransferredFileView] : pick<TransferredFileView[]>("files");
  return {
    seq: event.seq,
    operationId: event.operationId!,
    type: legacy ? "FILES_TRANSFERRED" : event.type,
    state: pick<string>("state"),
    files: files?.map(({ fileUUID, version, bytes }) => ({ fileUUID, version, bytes })) ?? null,
    filesDone: pick<number>("filesDone"),
    filesTotal: pick<number>("filesTotal"),
    bytesDone: pick<number>("bytesDone"),
    bytesTotal: pick<number>("bytesTotal"),
    errorCode: pick<string>("errorCode"),
    errorMessage: pick<string>("errorMessage"),
    at: event.createdAt,
  };
}

const TransferredFileType = builder.objectRef<TransferredFileView>("TransferredFile").implement({
  description: "A file a transfer finished: uploaded to or deleted from the cloud, or staged for download.",
  fields: (t) => ({
    fileUUID: t.exposeID("fileUUID"),
    version: t.exposeInt("version"),
    bytes: t.exposeFloat("bytes"),
  }),
});

const TransferEventType = builder.objectRef<TransferEventView>("TransferEvent").implement({
  description: "One event of a transfer, from the user's durable event log.",
  fields: (t) => ({
    seq: t.exposeInt("seq", { description: "Resume a subscription with after: seq to miss nothing." }),
    operationId: t.exposeID("operationId"),
    type: t.exposeString("type", { description: "OPERATION_STATE, FILES_TRANSFERRED" }),
    state: t.field({ type: OperationStateEnum, nullable: true, resolve: (e) => e.state as never }),
    files: t.field({
      type: [TransferredFileType],
      nullable: true,
      description: "FILES_TRANSFERRED: the files of one chunk of the transfer, in order.",
      resolve: (e) => e.files,
    }),
    filesDone: t.exposeInt("filesDone", { nullable: true }),
    filesTotal: t.exposeInt("filesTotal", { nullable: true }),
    bytesDone: t.exposeFloat("bytesDone", { nullable: true }),
    bytesTotal: t.exposeFloat("bytesTotal", { nullable: true }),
    errorCode: t.exposeString("errorCode", { nullable: true }),
    errorMessage: t.exposeString("errorMessage", { nullable: true }),
    at: t.expose("at", { type: "DateTime" }),
  }),
});

const isTerminal = (event: LoggedEvent) =>
  event.type === "OPERATION_STATE" && isEnded(String((event.payload as { state?: string }).state));

builder.subscriptionField("transferProgress", (t) =>
  t.field({
    type: TransferEventType,
    description: "The events of a transfer after sequence number `after`, ending with SUCCEEDED or FAILED.",
    args: { operationId: t.arg.id({ required: true }), after: t.arg.int({ defaultValue: 0 }) },
    subscribe: async (_root, args, context) => {
      const caller = requireCaller(context);
      const { db, notifier, config } = context.services;
      const operationId = String(args.operationId);
      const op = await db.operation.findFirst({
        where: { id: operationId, userId: caller.userId },
        select: { id: true },
      });
      if (!op) throw new SmsyncError("NOT_FOUND", `no operation ${operationId}`);
      return followEvents(db, notifier, {
        userId: caller.userId,
        after: args.after ?? 0,
        operationId,
        types: ["OPERATION_STATE", "FILES_TRANSFERRED", "FILE_TRANSFERRED"],
        isLast: isTerminal,
        pollMs: config.eventPollMs,
      });
    },
    resolve: (event: LoggedEvent) => transferEventView(event),
  }),
);

interface FileIndexChangeView {
  seq: number;
  operationId: string;
  deviceId: string;
  files: { fileUUID: string; version: number; deleted: boolean }[];
  at: Date;
}

const ChangedFileType = builder
  .objectRef<{ fileUUID: string; version: number; deleted: boolean }>("ChangedFile")
  .implement({
    fields: (t) => ({
      fileUUID: t.exposeID("fileUUID"),
      version: t.exposeInt("version"),
      deleted: t.exposeBoolean("deleted"),
    }),
  });

const FileIndexChangeType = builder.objectRef<FileIndexChangeView>("FileIndexChange").implement({
  fields: (t) => ({
    seq: t.exposeInt("seq"),
    operationId: t.exposeID("operationId"),
    deviceId: t.exposeID("deviceId", { description: "The device whose commit changed the index." }),
    files: t.field({ type: [ChangedFileType], resolve: (change) => change.files }),
    at: t.expose("at", { type: "DateTime" }),
  }),
});

builder.subscriptionField("fileIndexChanged", (t) =>
  t.field({
    type: FileIndexChangeType,
    description: "Each commit that moved the user's file index on, after sequence number `after` (FileIndex.eventSeq).",
    args: { after: t.arg.int({ defaultValue: 0 }) },
    subscribe: (_root, args, context) => {
      const caller = requireCaller(context);
      const { db, notifier, config } = context.services;
      return followEvents(db, notifier, {
        userId: caller.userId,
        after: args.after ?? 0,
        types: ["FILE_INDEX_CHANGED"],
        pollMs: config.eventPollMs,
      });
    },
    resolve: (event: LoggedEvent) => {
      const payload = event.payload as { deviceId: string; files: FileIndexChangeView["files"] };
      return {
        seq: event.seq,
        operationId: event.operationId!,
        deviceId: payload.deviceId,
        files: payload.files,
        at: event.createdAt,
      };
    },
  }),
);
