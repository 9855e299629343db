// A live, resumable stream of a user's events: first everything after the
// given sequence number from the log, then each new event as it commits.
import { Repeater } from "graphql-yoga";
import type { Database } from "../database/client.ts";
import type { EventNotifier } from "./EventNotifier.ts";
import { readEventsAfter, type EventType, type LoggedEvent } from "./eventLog.ts";

export interface FollowOptions {
  userId: string;
  after: number;
  operationId?: string;
  types?: EventType[];
  /** Stop after yielding an event for which this returns true. */
  isLast?: (event: LoggedEvent) => boolean;
  pollMs: number;
}

export function followEvents(db: Database, notifier: EventNotifier, options: FollowOptions) {
  return new Repeater<LoggedEvent>(async (push, stop) => {
    let cursor = options.after;
    let wake: () => void = () => undefined;
    const unsubscribe = notifier.subscribe(options.userId, () => wake());
    let stopped = false;
    stop.then(() => {
      stopped = true;
      wake();
    });
    try {
      while (!stopped) {
        // Armed before reading, so a publish during the read is not lost.
        const woken = new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, options.pollMs).unref();
        });
        const events = await readEventsAfter(db, options.userId, cursor, {
          operationId: options.operationId,
          types: options.types,
        });
        for (const event of events) {
          if (stopped) break;
          await push(event);
          cursor = event.seq;
          if (options.isLast?.(event)) {
            stop();
            return;
          }
        }
        if (events.length === 0) await woken;
      }
    } finally {
      unsubscribe();
    }
  });
}
