import { tokenOfAuthorization } from "../../auth/deviceTokens.ts";
import { SmsyncError } from "../../errors/SmsyncError.ts";
import { idempotentMutation } from "../../idempotency/idempotentMutation.ts";
import { lockInTurn } from "../../locks/lockInTurn.ts";
import { releaseLock, renewLock, type LockGrant } from "../../locks/locks.ts";
import type { Services } from "../../services.ts";
import { builder, idempotencyKeyDescription } from "../builder.ts";
import { requireCaller } from "../context.ts";

const LockGrantType = builder.objectRef<LockGrant>("LockGrant").implement({
  description: "The caller's hold on the user's lock.",
  fields: (t) => ({
    fencingToken: t.exposeInt("fencingToken", {
      description: "Pass it with every write; it grows with every new grant.",
    }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", description: "When the lease runs out unless renewed." }),
    heldPreviously: t.exposeBoolean("heldPreviously", { description: "True when the caller already held the lock." }),
    operationId: t.exposeID("operationId", { nullable: true, description: "The transfer holding the lock, if any." }),
  }),
});

function leaseSeconds(services: Services, ttlSeconds: number | null | undefined): number {
  const { lockTtlSeconds, lockMaxTtlSeconds } = services.config;
  if (ttlSeconds === null || ttlSeconds === undefined) return lockTtlSeconds;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > lockMaxTtlSeconds) {
    throw new SmsyncError("BAD_INPUT", `ttlSeconds must be between 1 and ${lockMaxTtlSeconds}`, {
      field: "ttlSeconds",
    });
  }
  return ttlSeconds;
}

function waitSeconds(services: Services, seconds: number | null | undefined): number {
  const { lockMaxWaitSeconds } = services.config;
  if (seconds === null || seconds === undefined) return 0;
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > lockMaxWaitSeconds) {
    throw new SmsyncError("BAD_INPUT", `waitSeconds must be between 0 and ${lockMaxWaitSeconds}`, {
      field: "waitSeconds",
    });
  }
  return seconds;
}

builder.mutationField("lock", (t) =>
  t.field({
    type: LockGrantType,
    description:
      "Obtains the user's lock. By the holder it succeeds again, renewed, with the same token. Held by another device: LOCK_HELD with retryAfterSeconds; devices waiting for the lock get it in the order they first asked.",
    args: {
      idempotencyKey: t.arg.string({ required: true, description: idempotencyKeyDescription }),
      ttlSeconds: t.arg.int(),
      waitSeconds: t.arg.int({
        description:
          "Wait in the server up to this long for the lock (and the caller's turn) before answering LOCK_HELD; 0 or absent: answer at once.",
      }),
    },
    resolve: (_root, args, context) => {
      const caller = requireCaller(context);
      const { services } = context;
      return lockInTurn(services, caller, {
        idempotencyKey: args.idempotencyKey,
        ttlSeconds: leaseSeconds(services, args.ttlSeconds),
        waitSeconds: waitSeconds(services, args.waitSeconds),
        args,
        token: tokenOfAuthorization(context.authorization),
        signal: context.request?.signal,
      });
    },
  }),
);

builder.mutationField("renewLock", (t) =>
  t.field({
    type: LockGrantType,
    args: {
      idempotencyKey: t.arg.string({ required: true, description: idempotencyKeyDescription }),
      fencingToken: t.arg.int({ required: true }),
      ttlSeconds: t.arg.int(),
    },
    resolve: (_root, args, context) => {
      const caller = requireCaller(context);
      const ttl = leaseSeconds(context.services, args.ttlSeconds);
      return idempotentMutation(context.services, caller, "renewLock", args.idempotencyKey, args, (tx) =>
        renewLock(tx, caller, args.fencingToken, ttl, context.services.clock.now()),
      );
    },
  }),
);

builder.mutationField("unlock", (t) =>
  t.boolean({
    description:
      "Releases the lock and discards what was staged under it and not committed. False when the caller did not hold it.",
    args: {
      idempotencyKey: t.arg.string({ required: true, description: idempotencyKeyDescription }),
      fencingToken: t.arg.int({ required: true }),
    },
    resolve: (_root, args, context) => {
      const caller = requireCaller(context);
      return idempotentMutation(context.services, caller, "unlock", args.idempotencyKey, args, async (tx, events) => {
        const released = await releaseLock(tx, caller, args.fencingToken);
        if (released) events.wake(caller.userId);
        return released;
      });
    },
  }),
);
