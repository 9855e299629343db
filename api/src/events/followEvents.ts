// A live, resumable stream of a user's events: first everything after the
// given sequence number from the log, then each new event as it commits.
import { Repeater } from "graphql-yoga";
import type { Database } from "../database/client.ts";
import type { EventNotifier } from "./EventNotifier.ts";
import {
  eventPageSize,
  readEventsAfter,
  readLastEventAtOrBefore,
  type EventType,
  type LoggedEvent,
} from "./eventLog.ts";

export interface FollowOptions {
  userId: string;
  after: number;
  operationId?: string;
  types?: EventType[];
  /**
   * Stop after yielding an event for which this returns true; and at once
   * when resumed after such an event with nothing after it.
   */
  isLast?: (event: LoggedEvent) => boolean;
  pollMs: number;
}

export function followEvents(db: Database, notifier: EventNotifier, options: FollowOptions) {
  return new Repeater<LoggedEvent>(async (push, stop) => {
    const filter = { operationId: options.operationId, types: options.types };
    let cursor = options.after;
    let firstRead = true;
    let wake: () => void = () => undefined;
    const unsubscribe = notifier.subscribe(options.userId, () => wake());
    let stopped = false;
    // Repeater's stop promise only ever fulfils.
    void stop.then(() => {
      stopped = true;
      wake();
    });
    try {
      while (!stopped) {
        // Armed before reading, so a publish during the read is not lost.
        let timer: NodeJS.Timeout | undefined;
        const woken = new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, options.pollMs).unref();
        });
        const events = await readEventsAfter(db, options.userId, cursor, filter);
        if (firstRead && events.length === 0 && options.isLast && cursor > 0) {
          // Resumed after the last event (the client saw it, but not the
          // end of the stream): nothing more will come, so end now.
          const previous = await readLastEventAtOrBefore(db, options.userId, cursor, filter);
          if (previous && options.isLast(previous)) {
            stop();
            return;
          }
        }
        firstRead = false;
        for (const event of events) {
          if (stopped) break;
          await push(event);
          cursor = event.seq;
          if (options.isLast?.(event)) {
            stop();
            return;
          }
        }
        // A full page may have more behind it; a shorter one was everything committed when the read began,
        // and whatever commits later wakes us (armed before the read), so no second read to find nothing.
        if (events.length < eventPageSize) await woken;
        clearTimeout(timer);
      }
    } finally {
      unsubscribe();
    }
  });
}
