// The `lock` mutation: the grant in the order devices asked (LockLine.ts),
// and, with waitSeconds, waiting in the server until the lock is free and the
// caller's turn has come, instead of the device polling. A waiting request
// wakes when the user's events are published (an unlock or a transfer's end,
// on any instance with Redis) and re-reads the lock at least every second,
// which finds an expired lease.
import type { Caller } from "../auth/deviceTokens.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import { idempotentMutation } from "../idempotency/idempotentMutation.ts";
import type { Services } from "../services.ts";
import { lockRetrySeconds } from "./LockLine.ts";
import { acquireLock, lockHeld, lockHolding, type LockGrant } from "./locks.ts";

/** The longest a waiting request goes without reading the lock again. */
const recheckMs = 1000;

export interface LockRequest {
  idempotencyKey: string;
  ttlSeconds: number;
  /** How long to wait in the server for the lock before answering LOCK_HELD (0: answer at once). */
  waitSeconds: number;
  /** The mutation's arguments as sent, for the idempotency record (waitSeconds is left out of it: how long a
   * call waited does not change what its key was for, and a retry may wait longer or not at all). */
  args: Record<string, unknown>;
  /** The device token the call came with: held off at the HTTP layer when it ignores its retry hint. */
  token: string | null;
  /** Aborted when the client goes away: a waiting request stops. */
  signal?: AbortSignal;
}

export async function lockInTurn(services: Services, caller: Caller, request: LockRequest): Promise<LockGrant> {
  const { lockLine, clock } = services;
  const { userId, deviceId } = caller;
  // Before the idempotency lookup, so that a device ignoring its hint costs no database read. (A device in the
  // line has no grant to replay: it leaves the line when granted.)
  // A call that waits in the server is no hot loop: it may come at once after a refusal.
  const early = request.waitSeconds > 0 ? null : lockLine.tooEarly(userId, deviceId, clock.now().getTime());
  if (early !== null) {
    // Until its hint runs out, the device's requests are refused before they are read (429, RATE_LIMITED).
    if (request.token) await services.requestLimits.holdOff(request.token, Math.ceil(early));
    throw lockHeld(early, "asked again before retryAfterSeconds");
  }
  const { waitSeconds: _waitSeconds, ...argsOfRecord } = request.args;
  const waitUntil = Date.now() + request.waitSeconds * 1000;
  const depart = request.waitSeconds > 0 ? lockLine.arrive(userId, deviceId, clock.now().getTime()) : null;
  try {
    for (;;) {
      try {
        const grant = await idempotentMutation(
          services,
          caller,
          "lock",
          request.idempotencyKey,
          argsOfRecord,
          (tx) => acquireLock(tx, caller, request.ttlSeconds, clock.now()),
          () => refuseOutOfTurn(services, caller),
        );
        lockLine.leave(userId, deviceId);
        return grant;
      } catch (error) {
        if (!(error instanceof SmsyncError) || error.code !== "LOCK_HELD") throw error;
        const waitMs = waitUntil - Date.now();
        if (waitMs <= 0 || request.signal?.aborted) {
          // A device that waited here may ask again at once (depart); one that polls, after its hint.
          if (!depart) {
            const retryAfterSeconds = Number(error.extensions.retryAfterSeconds ?? lockRetrySeconds);
            lockLine.refused(userId, deviceId, clock.now().getTime(), retryAfterSeconds);
          }
          throw error;
        }
        await lockMayHaveChanged(services, userId, Math.min(waitMs, recheckMs), request.signal);
      }
    }
  } finally {
    depart?.(clock.now().getTime());
  }
}

/**
 * LOCK_HELD before any transaction when another device holds the lock, or
 * when the lock is free but a device that has waited longer is still waiting.
 */
async function refuseOutOfTurn(services: Services, caller: Caller): Promise<void> {
  const { lockLine, clock } = services;
  const holding = await lockHolding(services.db, caller, clock.now());
  if (holding === "caller") return;
  if (holding === "another") throw lockHeld(lockRetrySeconds);
  if (lockLine.othersFirst(caller.userId, caller.deviceId, clock.now().getTime())) {
    throw lockHeld(lockRetrySeconds, "devices that asked earlier are waiting for the lock");
  }
}

/** Resolves when the user's events are published, after `ms`, or when the signal aborts. */
function lockMayHaveChanged(services: Services, userId: string, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const unsubscribe = services.notifier.subscribe(userId, done);
    signal?.addEventListener("abort", done);
  });
}
