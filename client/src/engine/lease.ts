// The lease on the lock: renewed while the engine works under a grant (at
// half the time left), until a transfer takes the lock over
// (startInboundTransfer, commit), the engine unlocks, or the pass ends. A
// refused renewal stops renewing: the next write under the grant meets the
// server's verdict.
import type { TypedDocumentNode } from "@urql/core";
import { renewLockMutation } from "../graphql/operations.ts";
import type { Outbox, OutboxResult } from "../graphql/outbox/index.ts";
import type { Clock } from "../time/clock.ts";
import { asError, isStopping, type SyncEvents } from "./events.ts";

/** What the lease needs of the engine (the EngineContext, named by shape so that the context can hold the lease without a loop). */
export interface LeaseHost {
  readonly closed: boolean;
  readonly clock: Clock;
  readonly outbox: Pick<Outbox, "takeResult">;
  send<TData, TVariables extends { idempotencyKey: string }>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): Promise<OutboxResult<TData>>;
  emit<E extends keyof SyncEvents>(event: E, payload: SyncEvents[E]): void;
}

export class Lease {
  private current: { cancel: () => void; stopped: boolean } | undefined;

  constructor(private readonly host: LeaseHost) {}

  /** Renews the grant of this fencing token from now on (replacing the one renewed before). */
  start(fencingToken: number, expiresAt: string): void {
    this.stop();
    const { clock } = this.host;
    const lease = { cancel: () => {}, stopped: false };
    const schedule = (until: string) => {
      const delay = Math.max(100, (Date.parse(until) - clock.now()) / 2);
      lease.cancel = clock.setTimer(() => void renew(), delay, "leaseRenewal");
    };
    const renew = async () => {
      if (lease.stopped || this.host.closed) return;
      const key = globalThis.crypto.randomUUID();
      try {
        const result = await this.host.send(renewLockMutation, { idempotencyKey: key, fencingToken });
        await this.host.outbox.takeResult(key);
        if (lease.stopped || result.error || !result.data) return;
        schedule(result.data.renewLock.expiresAt);
      } catch (error) {
        // Suspended or closed (the engine, or its outbox): nothing to renew.
        if (isStopping(error)) return;
        // Renewing ends here, as on a refusal: the pass meets the lapsed lease as a lost lock.
        this.host.emit("backgroundFailure", { during: "renewLease", error: asError(error) });
      }
    };
    this.current = lease;
    schedule(expiresAt);
  }

  /** Stops renewing (a transfer holds the lock from now on, or the engine unlocks or stops). */
  stop(): void {
    if (!this.current) return;
    this.current.stopped = true;
    this.current.cancel();
    this.current = undefined;
  }
}
