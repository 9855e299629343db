// What the transfer worker's poll asks first: is anything due at all? An idle
// server polls every SMSYNC_TRANSFER_POLL_MS, and the three reads that find
// the work (a transfer to claim, owed removals, abandoned writes) cost about
// 6 ms of CPU through Prisma's query compiler: 6.5 % of a core at 100 ms. One
// raw statement answers the poll that finds nothing; the reads run only when
// it finds something. It may answer yes for work another worker then takes,
// or for this worker's own transfer whose claim ran out: the reads decide.
import { readOnlyRaw, type Database } from "../database/client.ts";
import { Prisma } from "../generated/prisma-sqlite/client.ts";
import { runnableStates } from "./states.ts";

export interface DueWork {
  /** A runnable transfer whose next attempt is due and that no live claim holds. */
  transfer: boolean;
  /** An owed removal or an abandoned write whose next attempt is due. */
  removal: boolean;
}

export async function readDueWork(db: Database, now: Date): Promise<DueWork> {
  const [row] = await readOnlyRaw<{ transfer: unknown; removal: unknown }>(
    db,
    Prisma.sql`SELECT
      CASE WHEN EXISTS (
        SELECT 1 FROM "Operation"
        WHERE "state" IN (${Prisma.join(runnableStates)}) AND "nextAttemptAt" <= ${now}
          AND ("claimExpiresAt" IS NULL OR "claimExpiresAt" < ${now})
      ) THEN 1 ELSE 0 END AS "transfer",
      CASE WHEN EXISTS (SELECT 1 FROM "OwedCloudRemoval" WHERE "nextAttemptAt" <= ${now})
        OR EXISTS (
          SELECT 1 FROM "AbandonedCloudWrite"
          WHERE "nextAttemptAt" <= ${now} AND ("claimedBy" IS NULL OR "claimExpiresAt" < ${now})
        ) THEN 1 ELSE 0 END AS "removal"`,
  );
  // SQLite answers 1 as a bigint, PostgreSQL as a number.
  return { transfer: Number(row?.transfer) === 1, removal: Number(row?.removal) === 1 };
}
