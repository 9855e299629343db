// Every mutation takes an idempotency key. The mutation's writes and the
// record of its response commit in one transaction, so after a lost response
// a retry with the same key either finds the stored response (the first call
// committed) or runs afresh (it did not). A failed call stores nothing: its
// error wrote nothing, so running it again is safe. There is no "in progress"
// state to report: a key has a record only once its first call committed, and
// a concurrent duplicate either waits for that commit or collides with it and
// answers as its replay (docs/protocol.md, "Safe to repeat").
import { createHash } from "node:crypto";
import { stableJson } from "@smsync/protocol";
import type { Caller } from "../auth/deviceTokens.ts";
import { readOnlyRaw, type Transaction } from "../database/client.ts";
import { executeInTransaction } from "../database/transactionRaw.ts";
import { Prisma } from "../generated/prisma-sqlite/client.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import { transactWithEvents, type EventBatch } from "../events/eventLog.ts";
import type { Services } from "../services.ts";

export const maxIdempotencyKeyLength = 128;

function requestHash(mutation: string, args: unknown): string {
  return createHash("sha256").update(mutation).update("\0").update(stableJson(args)).digest("hex");
}

export async function idempotentMutation<T>(
  services: Services,
  caller: Caller,
  mutation: string,
  idempotencyKey: string,
  args: Record<string, unknown>,
  run: (tx: Transaction, events: EventBatch) => Promise<T>,
  /** A refusal decided outside the transaction, once no stored response answers the key (it must write nothing). */
  refuseEarly?: () => Promise<void>,
): Promise<T> {
  if (idempotencyKey.length === 0 || idempotencyKey.length > maxIdempotencyKeyLength) {
    throw new SmsyncError("BAD_INPUT", `idempotencyKey must be 1 to ${maxIdempotencyKeyLength} characters`);
  }
  const hash = requestHash(mutation, args);
  const replay = async (): Promise<T | undefined> => {
    // Asked before every mutation: raw, without the query compiler's cost (readOnlyRaw).
    const [record] = await readOnlyRaw<{ mutation: string; requestHash: string; response: string }>(
      services.db,
      Prisma.sql`SELECT "mutation", "requestHash", "response" FROM "IdempotencyRecord"
        WHERE "userId" = ${caller.userId} AND "key" = ${idempotencyKey}`,
    );
    if (!record) return undefined;
    if (record.requestHash !== hash) {
      throw new SmsyncError(
        "IDEMPOTENCY_KEY_REUSED",
        `idempotency key ${JSON.stringify(idempotencyKey)} was used for another ${record.mutation} request`,
      );
    }
    return JSON.parse(record.response) as T;
  };

  const stored = await replay();
  if (stored !== undefined) return stored;
  try {
    await refuseEarly?.();
    return await transactWithEvents(services.db, services.notifier, async (tx, events) => {
      const result = await run(tx, events);
      // Raw (transactionRaw.ts): every mutation writes one. createdAt is the age pruneIdempotencyRecords drops
      // it by, on the server's clock.
      await executeInTransaction(
        tx,
        Prisma.sql`INSERT INTO "IdempotencyRecord" ("userId", "key", "mutation", "requestHash", "response", "createdAt")
          VALUES (${caller.userId}, ${idempotencyKey}, ${mutation}, ${hash}, ${JSON.stringify(result)},
            ${services.clock.now()})`,
      );
      // The caller gets what a replay would get: the JSON form.
      return JSON.parse(JSON.stringify(result)) as T;
    });
  } catch (error) {
    // A concurrent duplicate committed first (our record insert collided, or
    // our run saw the duplicate's effects and refused): answer as its replay.
    const winner = await replay();
    if (winner !== undefined) return winner;
    throw error;
  }
}
