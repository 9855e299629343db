import { idempotentMutation } from "../../idempotency/idempotentMutation.ts";
import { resetServerState, type ResetResult } from "../../locks/resetServerState.ts";
import { builder, idempotencyKeyDescription } from "../builder.ts";
import { requireCaller } from "../context.ts";

const ResetResultType = builder.objectRef<ResetResult>("ResetResult").implement({
  fields: (t) => ({
    releasedLock: t.exposeBoolean("releasedLock"),
    discardedUploads: t.exposeInt("discardedUploads"),
    discardedDeletions: t.exposeInt("discardedDeletions"),
  }),
});

builder.mutationField("resetServerState", (t) =>
  t.field({
    type: ResetResultType,
    description:
      "The server half of a client's reset from error: releases the device's lock and drops its uncommitted staged uploads and upload-deletions. A running transfer is left to end on its own.",
    args: { idempotencyKey: t.arg.string({ required: true, description: idempotencyKeyDescription }) },
    resolve: (_root, args, context) => {
      const caller = requireCaller(context);
      return idempotentMutation(context.services, caller, "resetServerState", args.idempotencyKey, args, (tx) =>
        resetServerState(tx, caller),
      );
    },
  }),
);
