// Step 1 of a pass: the lock. Its request's key is stored before it is sent,
// so a relaunch asks again with the same key; LOCK_HELD is not an error (the
// app hears lockHeldElsewhere, the engine waits and locks again).
import { isServerError } from "../errors.ts";
import { lockMutation, unlockMutation } from "../graphql/operations.ts";
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import type { EngineContext } from "./EngineContext.ts";
import { metaKeys } from "./state.ts";

/** The fencing token of a grant, its lease renewed from now on (null if closed while waiting for another device). */
export async function lock<D extends DownloadedFileInfo>(ctx: EngineContext<D>): Promise<number | null> {
  const { store, outbox } = ctx;
  // The first call answers at once, so that the app hears lockHeldElsewhere; later ones wait in the server
  // for the lock and this device's turn (docs/protocol.md, "Waiting for the lock").
  let waitSeconds = 0;
  // Lowered to 0 (polling) if the server refuses the wait asked for (its lockMaxWaitSeconds is lower).
  let waitCap = ctx.lockWaitSeconds;
  for (;;) {
    if (ctx.closed) return null;
    ctx.signal.throwIfAborted();
    let key = await store.get("meta", metaKeys.lockKey);
    // A key stored by an earlier call (before a suspension or a relaunch) goes again as it went first.
    let sendWait = waitSeconds;
    if (key) sendWait = await sentWaitSeconds(ctx, key, waitSeconds);
    else {
      key = globalThis.crypto.randomUUID();
      await store.commit([{ op: "put", collection: "meta", key: metaKeys.lockKey, value: key }]);
      await ctx.persistencePoint("lock.keyStored");
    }
    const sent = ctx.clock.now();
    const result = await ctx.send(lockMutation, {
      idempotencyKey: key,
      ...(sendWait > 0 ? { waitSeconds: sendWait } : {}),
    });
    await store.commit([{ op: "delete", collection: "meta", key: metaKeys.lockKey }, outbox.resultRemoval(key)]);
    if (isServerError(result.error, "LOCK_HELD")) {
      const retryAfterSeconds = Number(result.error.details.retryAfterSeconds ?? 1);
      const hintMs = Math.max(50, Math.min(ctx.lockRetryMaxMs, retryAfterSeconds * 1000));
      // Waiting in the server needs no pause before the next call; polling, or a wait the server cut short,
      // pauses for the server's hint (asking sooner is refused again).
      const waitedInServer = sendWait > 0 && ctx.clock.now() - sent >= sendWait * 1000;
      const retryInMs = waitCap > 0 && (sendWait === 0 || waitedInServer) ? 0 : hintMs;
      if (sendWait === 0) ctx.emit("lockHeldElsewhere", { retryInMs });
      waitSeconds = waitCap;
      if (retryInMs > 0) await ctx.sleep(retryInMs, "lockHeldRetry");
      continue;
    }
    if (sendWait > 0 && isServerError(result.error, "BAD_INPUT") && result.error.details.field === "waitSeconds") {
      waitSeconds = waitCap = 0;
      continue;
    }
    if (result.error) throw result.error;
    await ctx.persistencePoint("lock.granted");
    const grant = result.data!.lock;
    ctx.lease.start(grant.fencingToken, grant.expiresAt);
    return grant.fencingToken;
  }
}

/** The waitSeconds a stored key's request was sent with, as the outbox keeps it (`otherwise` if it knows none). */
async function sentWaitSeconds<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  key: string,
  otherwise: number,
): Promise<number> {
  const known =
    (await ctx.outbox.pending()).find((entry) => entry.idempotencyKey === key) ??
    (await ctx.outbox.storedResults()).find((stored) => stored.idempotencyKey === key);
  if (!known) return otherwise;
  const { waitSeconds } = known.variables;
  return typeof waitSeconds === "number" ? waitSeconds : 0;
}

/** Gives the grant back (nothing left to do under it); nobody waits for the answer. */
export async function unlock<D extends DownloadedFileInfo>(ctx: EngineContext<D>, fencingToken: number): Promise<void> {
  ctx.lease.stop();
  const key = globalThis.crypto.randomUUID();
  await ctx.send(unlockMutation, { idempotencyKey: key, fencingToken });
  await ctx.outbox.takeResult(key);
}
