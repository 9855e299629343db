// Runs transfers: claims runnable operations from the database (one worker
// per server instance, several operations at once), runs each as a state
// machine, and retries failures with capped exponential backoff (a full
// store or disk, or a rate limit, waits instead: transferWaits.ts). When idle
// (nothing to claim), and once at start, it retries the cloud removals that
// transfers left owed (owedRemovals.ts) and removes what the writes of
// given-up batches left in the cloud (abandonedWrites.ts).
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { TransferErrorCode } from "@smsync/protocol";
import { CloudStorageError } from "../cloud/CloudStorageError.ts";
import { transactWithEvents } from "../events/eventLog.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import { keepLockAfterFailedTransfer } from "../locks/locks.ts";
import type { Services } from "../services.ts";
import { transferRetryDelayMs } from "./backoff.ts";
import { transferWaitDelayMs, transferWaitOf, type TransferWait } from "./transferWaits.ts";
import { runInboundTransfer } from "./inboundTransfer.ts";
import { runOutboundTransfer } from "./outboundTransfer.ts";
import { retryOwedRemovals } from "./owedRemovals.ts";
import { removeAbandonedWrites } from "./abandonedWrites.ts";
import { ClaimLostError, claimNextOperation, renewClaim } from "./TransferClaim.ts";
import { readDueWork } from "./dueWork.ts";
import { TransferStoppedError, type OperationRow, type TransferContext } from "./TransferContext.ts";

export class TransferWorker {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private wake: () => void = () => undefined;
  private stopListening?: () => void;
  private loop?: Promise<void>;
  /** The pass over owed removals in flight, if any (one at a time, beside the claim loop). */
  private removals?: Promise<void>;

  constructor(
    private readonly services: Services,
    private readonly concurrency = 4,
  ) {}

  start(): void {
    this.stopListening ??= this.services.transferWakeups.listen(() => this.wake());
    this.loop ??= this.claimLoop();
  }

  async stop(): Promise<void> {
    this.stopListening?.();
    this.abort.abort();
    this.wake();
    await this.loop;
    await Promise.allSettled(this.running.values());
    await this.removals;
  }

  /**
   * Retries the owed removals and removes the given-up writes that are due
   * (all of them with `all`) unless a pass is running already.
   */
  private retryOwedRemovals(all: boolean): void {
    if (this.removals || this.abort.signal.aborted) return;
    const options = { all, signal: this.abort.signal };
    this.removals = retryOwedRemovals(this.services, options)
      .then(() => removeAbandonedWrites(this.services, this.workerId, options))
      .then(
        () => undefined,
        (error) => this.services.logger.error({ err: error }, "retrying owed cloud removals failed"),
      )
      .finally(() => {
        this.removals = undefined;
      });
  }

  private async claimLoop(): Promise<void> {
    const { config, logger } = this.services;
    // At start, every owed removal, whatever its backoff: a crash or restart may have left them long.
    this.retryOwedRemovals(true);
    while (!this.abort.signal.aborted) {
      const woken = new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, config.transferPollMs).unref();
      });
      if (this.running.size < this.concurrency) {
        try {
          const due = await readDueWork(this.services.db, this.services.clock.now());
          const operation = due.transfer
            ? await claimNextOperation(
                this.services.db,
                this.services.clock,
                this.workerId,
                config.transferClaimSeconds,
                new Set(this.running.keys()),
              )
            : null;
          if (operation) {
            this.launch(operation);
            continue;
          }
          if (due.removal) this.retryOwedRemovals(false);
        } catch (error) {
          logger.error({ err: error }, "claiming a transfer failed");
        }
      }
      await woken;
    }
  }

  private launch(operation: OperationRow): void {
    const run = this.runOperation(operation).finally(() => {
      this.running.delete(operation.id);
      this.wake();
    });
    this.running.set(operation.id, run);
  }

  private async runOperation(operation: OperationRow): Promise<void> {
    const { db, notifier, config, logger } = this.services;
    const log = logger.child({ operationId: operation.id, kind: operation.kind, userId: operation.userId });
    const context: TransferContext = {
      services: this.services,
      operation,
      workerId: this.workerId,
      signal: this.abort.signal,
      phase: "start",
    };
    const heartbeat = setInterval(
      () => {
        renewClaim(db, this.services.clock.now(), operation.id, this.workerId, config.transferClaimSeconds).then(
          (held) => held || log.warn("lost the claim on a transfer"),
          (error) => log.error({ err: error }, "renewing a transfer claim failed"),
        );
      },
      (config.transferClaimSeconds * 1000) / 3,
    );
    try {
      if (operation.state === "NOT_STARTED") {
        await transactWithEvents(db, notifier, async (tx, events) => {
          await tx.operation.update({ where: { id: operation.id }, data: { state: "IN_PROGRESS" } });
          await events.append({
            userId: operation.userId,
            operationId: operation.id,
            type: "OPERATION_STATE",
            payload: { state: "IN_PROGRESS" },
          });
        });
      }
      log.info({ attempt: operation.attempts + 1, files: operation.filesTotal }, "transfer started");
      const started = Date.now();
      if (operation.kind === "OUTBOUND") await runOutboundTransfer(context);
      else await runInboundTransfer(context);
      log.info(
        { ms: Date.now() - started, files: operation.filesTotal, bytes: Number(operation.bytesTotal) },
        "transfer succeeded",
      );
    } catch (error) {
      if (error instanceof ClaimLostError) {
        log.warn("transfer abandoned: another worker has taken it over");
      } else if (error instanceof TransferStoppedError) {
        await this.releaseClaim(operation.id);
        log.info("transfer paused: the server is stopping");
      } else {
        await this.recordFailure(context, error, log);
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async releaseClaim(operationId: string): Promise<void> {
    await this.services.db.$transaction((tx) =>
      tx.operation.updateMany({
        where: { id: operationId, claimedBy: this.workerId },
        data: { claimedBy: null, claimExpiresAt: null },
      }),
    );
  }

  private async recordFailure(context: TransferContext, error: unknown, log: Services["logger"]): Promise<void> {
    const wait = transferWaitOf(error);
    if (wait) return this.recordWait(context, wait, error, log);
    const { db, notifier, config, clock } = this.services;
    const { operation } = context;
    const retryable = !(error instanceof SmsyncError) && !(error instanceof CloudStorageError && !error.retryable);
    const attempts = operation.attempts + 1;
    const message = error instanceof Error ? error.message : String(error);
    const errorCode: TransferErrorCode =
      error instanceof CloudStorageError || error instanceof SmsyncError ? error.code : "INTERNAL";
    const fail = !retryable || attempts >= config.transferMaxAttempts;
    const recorded = await transactWithEvents(db, notifier, async (tx, events) => {
      const { count } = await tx.operation.updateMany({
        where: { id: operation.id, claimedBy: this.workerId },
        data: fail
          ? {
              state: "FAILED",
              attempts,
              failedPhase: context.phase,
              errorCode,
              errorMessage: message,
              finishedAt: clock.now(),
              waitingSince: null,
              claimedBy: null,
              claimExpiresAt: null,
            }
          : {
              attempts,
              waitingSince: null,
              nextAttemptAt: new Date(clock.now().getTime() + transferRetryDelayMs(attempts, config)),
              errorCode,
              errorMessage: message,
              claimedBy: null,
              claimExpiresAt: null,
            },
      });
      // Another worker has taken the transfer over: the failure is not this worker's to record.
      if (count === 0) return false;
      if (fail)
        await keepLockAfterFailedTransfer(tx, operation.userId, operation.id, config.lockTtlSeconds, clock.now());
      await events.append({
        userId: operation.userId,
        operationId: operation.id,
        type: "OPERATION_STATE",
        payload: fail
          ? { state: "FAILED", failedPhase: context.phase, errorCode, errorMessage: message }
          : { state: "IN_PROGRESS", retrying: true, attempts, errorCode, errorMessage: message },
      });
      return true;
    });
    if (!recorded)
      log.warn({ err: error, phase: context.phase }, "transfer abandoned: another worker has taken it over");
    else if (fail) log.error({ err: error, phase: context.phase, attempts }, "transfer failed");
    else log.warn({ err: error, phase: context.phase, attempts }, "transfer step failed; will retry");
  }

  /**
   * A failure that waits (transferWaits.ts): no attempt spent, never FAILED,
   * the next try scheduled after the wait. The OPERATION_STATE event that says
   * the transfer waits, and why, goes out when the wait begins (or its reason
   * changes), not at every try, so the app learns at once and is not flooded.
   */
  private async recordWait(
    context: TransferContext,
    wait: TransferWait,
    error: unknown,
    log: Services["logger"],
  ): Promise<void> {
    const { db, notifier, config, clock } = this.services;
    const { operation } = context;
    const errorCode = wait.code;
    const now = clock.now();
    const waitingSince = operation.waitingSince ?? now;
    const nextAttemptAt = new Date(
      now.getTime() + transferWaitDelayMs(wait, now.getTime() - waitingSince.getTime(), config),
    );
    const begins = operation.waitingSince === null || operation.errorCode !== errorCode;
    const recorded = await transactWithEvents(db, notifier, async (tx, events) => {
      const { count } = await tx.operation.updateMany({
        where: { id: operation.id, claimedBy: this.workerId },
        data: {
          nextAttemptAt,
          waitingSince,
          errorCode,
          errorMessage: wait.message,
          claimedBy: null,
          claimExpiresAt: null,
        },
      });
      if (count === 0) return false;
      if (begins) {
        await events.append({
          userId: operation.userId,
          operationId: operation.id,
          type: "OPERATION_STATE",
          payload: {
            state: "IN_PROGRESS",
            waiting: true,
            attempts: operation.attempts,
            errorCode,
            errorMessage: wait.message,
          },
        });
      }
      return true;
    });
    if (!recorded)
      log.warn({ err: error, phase: context.phase }, "transfer abandoned: another worker has taken it over");
    else if (begins)
      log.warn(
        { err: error, phase: context.phase, errorCode, nextAttemptAt },
        "transfer waits for room or for the cloud's rate limit",
      );
    else log.debug({ phase: context.phase, errorCode, nextAttemptAt }, "transfer still waits");
  }
}
