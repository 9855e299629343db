// Stored responses are kept long enough for any client's retry (a device
// may be offline for days) and then dropped.
import type { Database } from "../database/client.ts";

export async function pruneIdempotencyRecords(db: Database, retentionSeconds: number, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionSeconds * 1000);
  const { count } = await db.$transaction((tx) =>
    tx.idempotencyRecord.deleteMany({ where: { createdAt: { lt: cutoff } } }),
  );
  return count;
}
