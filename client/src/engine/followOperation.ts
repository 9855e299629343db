// Following a server transfer to its end: the transferProgress subscription
// (graphql-ws) wakes the follower at each change of the operation's state
// (not at each file transferred), and the operation query is
// the source of truth (it carries the staged files' download URLs). While the
// subscription is down (no WebSocket, a proxy that drops it, a restarted
// server) the follower polls at `pollMs` and subscribes again with the last
// seq it saw as `after`, so the durable event log replays what it missed;
// while it is up, a slow safety poll (`subscribedPollMs`) still runs in case
// a connection hangs silently. The polls ask for the operation without its
// files (a transfer of thousands of files would otherwise be sent whole at
// each event), and so does the end: the engine needs only the state (its
// downloads are named by the plan, not by the operation's files), and the
// caller of a failed one fetches it whole (fetchOperation).
import type { Client } from "@urql/core";
import { ServerError } from "../errors.ts";
import type { Clock } from "../time/clock.ts";
import { operationQuery, operationStatusQuery, transferProgressSubscription } from "../graphql/operations.ts";
import type {
  OperationFieldsFragment,
  OperationStatusFieldsFragment,
  TransferProgressSubscription,
} from "../graphql/generated/graphql.ts";
import { queryData } from "../graphql/queryData.ts";
import { serverWaitOf, type TransferWaitCode } from "./transferWaits.ts";

export type Operation = OperationFieldsFragment;
/** An operation without its files. */
export type OperationStatus = OperationStatusFieldsFragment;
export type ServerTransferEvent = TransferProgressSubscription["transferProgress"];

export interface FollowOptions {
  client: Client;
  operationId: string;
  /** The polls' waits are on this clock. */
  clock: Clock;
  /** Polling period while the subscription is down. */
  pollMs: number;
  /** Safety polling period while the subscription is up. */
  subscribedPollMs: number;
  /** Ends the follow (suspend, close): rejects with the signal's reason. */
  signal: AbortSignal;
  /** Each event of the server's durable log for this operation, once, in order. */
  onEvent?: (event: ServerTransferEvent) => void;
  /** The operation began to wait for the cloud (transferWaits.ts): once per wait, and again if its reason changes. */
  onWaiting?: (operation: OperationStatus, code: TransferWaitCode) => void;
}

export async function fetchOperation(client: Client, operationId: string): Promise<Operation | null> {
  const result = await client.query(operationQuery, { id: operationId }).toPromise();
  return queryData(result, "operation").operation;
}

async function fetchOperationStatus(client: Client, operationId: string): Promise<OperationStatus | null> {
  const result = await client.query(operationStatusQuery, { id: operationId }).toPromise();
  return queryData(result, "operation").operation;
}

function hasEnded(operation: OperationStatus): boolean {
  return operation.state === "SUCCEEDED" || operation.state === "FAILED";
}

/** The operation (without its files) once it is SUCCEEDED or FAILED. */
export async function followOperation(options: FollowOptions): Promise<OperationStatus> {
  const { client, operationId, signal, clock } = options;
  let lastSeq = 0;
  let subscribed = false;
  let unsubscribe: (() => void) | undefined;
  let wake: (() => void) | undefined;
  /** An event (or a failed subscription) since the last status was asked for: the next wait is skipped. */
  let woken = false;
  const wakeUp = () => {
    woken = true;
    wake?.();
  };
  let resubscribeAt = 0;
  let waitingFor: string | null = null;

  const subscribe = () => {
    subscribed = true;
    const subscription = client
      .subscription(transferProgressSubscription, { operationId, after: lastSeq })
      .subscribe((result) => {
        if (result.error || !result.data) {
          // The WebSocket failed or the server refused: poll until the next attempt.
          subscribed = false;
          resubscribeAt = clock.now() + options.pollMs;
          wakeUp();
          return;
        }
        const event = result.data.transferProgress;
        if (event.seq <= lastSeq) return; // a replay after resubscribing
        lastSeq = event.seq;
        options.onEvent?.(event);
        // Files transferred change nothing the poll looks at (the state, a wait): only a state event wakes it,
        // or a transfer of thousands of files would be polled once a chunk.
        if (event.type !== "FILES_TRANSFERRED") wakeUp();
      });
    unsubscribe = () => subscription.unsubscribe();
  };

  try {
    for (;;) {
      signal.throwIfAborted();
      if (!subscribed && clock.now() >= resubscribeAt) {
        unsubscribe?.();
        subscribe();
      }
      // An event that comes while the status is asked for (the answer may be older than the event) asks again.
      woken = false;
      const status = await fetchOperationStatus(client, operationId);
      if (!status) throw new ServerError("NOT_FOUND", `operation ${operationId} not found`);
      if (hasEnded(status)) return status;
      const wait = serverWaitOf(status);
      if (wait && wait !== waitingFor) options.onWaiting?.(status, wait);
      waitingFor = wait;
      if (woken) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          cancel();
          signal.removeEventListener("abort", done);
          wake = undefined;
          resolve();
        };
        const cancel = clock.setTimer(done, subscribed ? options.subscribedPollMs : options.pollMs, "operationPoll");
        signal.addEventListener("abort", done, { once: true });
        wake = done;
      });
    }
  } finally {
    unsubscribe?.();
  }
}
