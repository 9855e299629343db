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
  for (;;) {
    if (ctx.closed) return null;
    ctx.signal.throwIfAborted();
    let key = await store.get("meta", metaKeys.lockKey);
    if (!key) {
      key = globalThis.crypto.randomUUID();
      await store.commit([{ op: "put", collection: "meta", key: metaKeys.lockKey, value: key }]);
      await ctx.persistencePoint("lock.keyStored");
    }
    const result = await ctx.send(lockMutation, { idempotencyKey: key });
    await store.commit([{ op: "delete", collection: "meta", key: metaKeys.lockKey }, outbox.resultRemoval(key)]);
    if (isServerError(result.error, "LOCK_HELD")) {
      const retryAfterSeconds = Number(result.error.details.retryAfterSeconds ?? 1);
      const retryInMs = Math.max(50, Math.min(ctx.lockRetryMaxMs, retryAfterSeconds * 1000));
      ctx.emit("lockHeldElsewhere", { retryInMs });
      await ctx.sleep(retryInMs, "lockHeldRetry");
      continue;
    }
    if (result.error) throw result.error;
    await ctx.persistencePoint("lock.granted");
    const grant = result.data!.lock;
    ctx.lease.start(grant.fencingToken, grant.expiresAt);
    return grant.fencingToken;
  }
}

/** Gives the grant back (nothing left to do under it); nobody waits for the answer. */
export async function unlock<D extends DownloadedFileInfo>(ctx: EngineContext<D>, fencingToken: number): Promise<void> {
  ctx.lease.stop();
  const key = globalThis.crypto.randomUUID();
  await ctx.send(unlockMutation, { idempotencyKey: key, fencingToken });
  await ctx.outbox.takeResult(key);
}
