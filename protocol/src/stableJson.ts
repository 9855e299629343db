// JSON with object keys sorted, so two requests that differ only in key order
// compare equal: the server hashes a mutation's arguments with it (an
// idempotency key replayed with the same arguments), and the client outbox
// compares a re-enqueued mutation's variables with it. Members whose value
// is undefined are left out, as JSON.stringify leaves them out.
//
// The server stores the hash of this text with each idempotency record: a
// change to the output makes every retry across an upgrade IDEMPOTENCY_KEY_REUSED.

export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}
