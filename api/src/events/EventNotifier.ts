// Wakes the subscriptions of a user when new events are in the log. The log
// in the database is the truth; a notification only says "read again", so a
// lost one costs at most one poll interval.
export interface EventNotifier {
  publish(userId: string): void;
  /** Calls listener on each publish for userId until the returned function is called. */
  subscribe(userId: string, listener: () => void): () => void;
  close(): Promise<void>;
}
