import type { FileEntryView } from "../../fileIndex/fileIndex.ts";
import { recordUploadDeletions } from "../../fileIndex/fileIndex.ts";
import { checkFileUUID, checkVersion } from "../../fileIndex/fileNames.ts";
import { readEventSeq } from "../../events/eventLog.ts";
import { SmsyncError } from "../../errors/SmsyncError.ts";
import { idempotentMutation } from "../../idempotency/idempotentMutation.ts";
import { requireIdleLock } from "../../locks/locks.ts";
import { builder, idempotencyKeyDescription } from "../builder.ts";
import { requireCaller } from "../context.ts";

export const FileEntryType = builder.objectRef<FileEntryView>("FileEntry").implement({
  description: "One file of the user's file index: its latest committed version.",
  fields: (t) => ({
    fileUUID: t.exposeID("fileUUID"),
    cloudFileName: t.exposeString("cloudFileName"),
    mimeType: t.exposeString("mimeType"),
    appMetaData: t.expose("appMetaData", { type: "JSONString", nullable: true }),
    version: t.exposeInt("version"),
    deleted: t.exposeBoolean("deleted"),
    size: t.exposeFloat("size"),
    sha256: t.exposeString("sha256"),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

interface FileIndexView {
  files: FileEntryView[];
  eventSeq: number;
}

const FileIndexType = builder.objectRef<FileIndexView>("FileIndex").implement({
  fields: (t) => ({
    files: t.field({ type: [FileEntryType], resolve: (index) => index.files }),
    eventSeq: t.exposeInt("eventSeq", {
      description: "The user's event log position when the index was read: subscribe to fileIndexChanged after it.",
    }),
  }),
});

builder.queryField("fileIndex", (t) =>
  t.field({
    type: FileIndexType,
    resolve: async (_root, _args, context) => {
      const caller = requireCaller(context);
      // The position and the files of one snapshot: any change after it is delivered by fileIndexChanged.
      const index = await context.services.fileIndexes.read(context.services.db, caller.userId);
      if (!index) throw new SmsyncError("NOT_FOUND", `no user ${caller.userId}`);
      return index;
    },
  }),
);

builder.queryField("eventSeq", (t) =>
  t.int({
    description:
      "The caller's user's event log position now, without reading the index: while a fileIndexChanged subscription is down, a client polls it and syncs when it has moved past the last seq it saw.",
    resolve: async (_root, _args, context) => {
      const caller = requireCaller(context);
      const eventSeq = await readEventSeq(context.services.db, caller.userId);
      if (eventSeq === null) throw new SmsyncError("NOT_FOUND", `no user ${caller.userId}`);
      return eventSeq;
    },
  }),
);

export const FileVersionInput = builder.inputType("FileVersionInput", {
  fields: (t) => ({
    fileUUID: t.string({ required: true }),
    version: t.int({ required: true }),
  }),
});

interface UploadDeletionView {
  fileUUID: string;
  version: number;
}

const UploadDeletionType = builder.objectRef<UploadDeletionView>("UploadDeletion").implement({
  fields: (t) => ({
    fileUUID: t.exposeID("fileUUID"),
    version: t.exposeInt("version", { description: "The version being deleted (the file index version)." }),
  }),
});

builder.mutationField("deleteFiles", (t) =>
  t.field({
    type: [UploadDeletionType],
    description: "Records upload-deletions for the next commit. Needs the caller's lock.",
    args: {
      idempotencyKey: t.arg.string({ required: true, description: idempotencyKeyDescription }),
      fencingToken: t.arg.int({ required: true }),
      files: t.arg({ type: [FileVersionInput], required: true }),
    },
    resolve: (_root, args, context) => {
      const caller = requireCaller(context);
      const files = args.files.map((file) => ({
        fileUUID: checkFileUUID(file.fileUUID),
        version: checkVersion(file.version),
      }));
      if (files.length === 0) throw new SmsyncError("BAD_INPUT", "files is empty");
      if (new Set(files.map((file) => file.fileUUID)).size !== files.length) {
        throw new SmsyncError("BAD_INPUT", "files names a file more than once");
      }
      return idempotentMutation(
        context.services,
        caller,
        "deleteFiles",
        args.idempotencyKey,
        { ...args, files },
        async (tx) => {
          await requireIdleLock(tx, caller, args.fencingToken);
          await recordUploadDeletions(
            tx,
            { userId: caller.userId, deviceId: caller.deviceId, fencingToken: args.fencingToken },
            files,
          );
          return files;
        },
      );
    },
  }),
);
