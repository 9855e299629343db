// The per-user event log. Every event gets the next sequence number of its
// user, taken from the user row in the same transaction, so a user's events
// become visible in sequence order and a reader resuming "after N" misses none.
import { readOnlyRaw, type Database, type Transaction } from "../database/client.ts";
import { Prisma } from "../generated/prisma-sqlite/client.ts";
import { chunksOf, rowsPerInsert } from "../database/statementChunks.ts";
import { executeInTransaction, queryInTransaction } from "../database/transactionRaw.ts";
import type { EventNotifier } from "./EventNotifier.ts";

// FILE_TRANSFERRED (one file) is what servers before FILES_TRANSFERRED (one a chunk of files) wrote: read, never written.
export const eventTypes = ["OPERATION_STATE", "FILES_TRANSFERRED", "FILE_INDEX_CHANGED", "FILE_TRANSFERRED"] as const;
export type EventType = (typeof eventTypes)[number];

export interface NewEvent {
  userId: string;
  operationId?: string | null;
  type: EventType;
  payload: Record<string, unknown>;
}

export interface LoggedEvent extends NewEvent {
  seq: number;
  createdAt: Date;
}

export class EventBatch {
  readonly users = new Set<string>();

  constructor(private readonly tx: Transaction) {}

  async append(event: NewEvent): Promise<number> {
    return this.appendMany([event]);
  }

  /**
   * Appends events of one user in order with one increment of the user's
   * eventSeq and one multi-row insert. Returns the seq of the last.
   */
  async appendMany(events: NewEvent[]): Promise<number> {
    const [first] = events;
    if (!first) throw new Error("appendMany needs an event");
    if (events.some((event) => event.userId !== first.userId)) throw new Error("appendMany takes events of one user");
    // Raw (transactionRaw.ts): every mutation and every transfer step appends events.
    const [user] = await queryInTransaction<{ eventSeq: number | bigint }>(
      this.tx,
      Prisma.sql`UPDATE "User" SET "eventSeq" = "eventSeq" + ${events.length} WHERE "id" = ${first.userId}
        RETURNING "eventSeq"`,
    );
    if (!user) throw new Error(`no user ${first.userId} to append events for`);
    const eventSeq = Number(user.eventSeq);
    const firstSeq = eventSeq - events.length + 1;
    const createdAt = new Date();
    const rows = events.map(
      (event, index) =>
        Prisma.sql`(${event.userId}, ${firstSeq + index}, ${event.operationId ?? null}, ${event.type},
          ${JSON.stringify(event.payload)}, ${createdAt})`,
    );
    for (const chunk of chunksOf(rows, rowsPerInsert(6))) {
      await executeInTransaction(
        this.tx,
        Prisma.sql`INSERT INTO "Event" ("userId", "seq", "operationId", "type", "payload", "createdAt")
          VALUES ${Prisma.join(chunk)}`,
      );
    }
    this.users.add(first.userId);
    return eventSeq;
  }

  /** Wakes the user's listeners once the transaction commits, with no event logged (a released lock: its waiters look again). */
  wake(userId: string): void {
    this.users.add(userId);
  }
}

/**
 * Runs fn in one transaction with an event batch, and wakes the subscribers
 * of the users it wrote events for once the transaction has committed.
 */
export async function transactWithEvents<T>(
  db: Database,
  notifier: EventNotifier,
  fn: (tx: Transaction, events: EventBatch) => Promise<T>,
): Promise<T> {
  let batch: EventBatch | undefined;
  const result = await db.$transaction(async (tx) => {
    batch = new EventBatch(tx);
    return fn(tx, batch);
  });
  for (const userId of batch?.users ?? []) notifier.publish(userId);
  return result;
}

export interface EventFilter {
  operationId?: string;
  types?: EventType[];
}

type EventRow = Awaited<ReturnType<Database["event"]["findMany"]>>[number];

function loggedEvent(row: EventRow): LoggedEvent {
  return {
    userId: row.userId,
    seq: row.seq,
    operationId: row.operationId,
    type: row.type as EventType,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    createdAt: row.createdAt,
  };
}

function eventWhere(userId: string, seq: { gt: number } | { lte: number }, filter: EventFilter) {
  return {
    userId,
    seq,
    ...(filter.operationId ? { operationId: filter.operationId } : {}),
    ...(filter.types ? { type: { in: filter.types } } : {}),
  };
}

/**
 * The user's event log position now (null: no such user): the counter
 * EventBatch moves and readFileIndex reads beside the files, read alone. What
 * a client polls while its fileIndexChanged subscription is down, so a
 * primary-key read, with no index read.
 */
export async function readEventSeq(db: Database, userId: string): Promise<number | null> {
  const [user] = await readOnlyRaw<{ eventSeq: number | bigint }>(
    db,
    Prisma.sql`SELECT "eventSeq" FROM "User" WHERE "id" = ${userId}`,
  );
  return user ? Number(user.eventSeq) : null;
}

/** How many events readEventsAfter returns at most by default: a shorter page is all there was. */
export const eventPageSize = 200;

/** A raw event row: SQLite gives integers as bigint or number and dates as text or numbers, PostgreSQL a Date. */
interface RawEventRow {
  userId: string;
  seq: number | bigint;
  operationId: string | null;
  type: string;
  payload: string;
  createdAt: Date | string | number;
}

/**
 * The committed events of a user after seq `after`, in seq order, at most
 * `limit`. Raw: every subscriber reads after each event of its user, and
 * Prisma's compiler would cost more than the read.
 */
export async function readEventsAfter(
  db: Database,
  userId: string,
  after: number,
  filter: EventFilter,
  limit = eventPageSize,
): Promise<LoggedEvent[]> {
  const operation = filter.operationId ? Prisma.sql` AND "operationId" = ${filter.operationId}` : Prisma.empty;
  const types = filter.types?.length ? Prisma.sql` AND "type" IN (${Prisma.join(filter.types)})` : Prisma.empty;
  const rows = await readOnlyRaw<RawEventRow>(
    db,
    Prisma.sql`SELECT "userId", "seq", "operationId", "type", "payload", "createdAt" FROM "Event"
      WHERE "userId" = ${userId} AND "seq" > ${after}${operation}${types} ORDER BY "seq" LIMIT ${limit}`,
  );
  return rows.map((row) => loggedEvent({ ...row, seq: Number(row.seq), createdAt: new Date(row.createdAt) }));
}

/** The last committed event of a user at or before seq `atOrBefore`, if any. */
export async function readLastEventAtOrBefore(
  db: Database,
  userId: string,
  atOrBefore: number,
  filter: EventFilter,
): Promise<LoggedEvent | null> {
  const row = await db.event.findFirst({
    where: eventWhere(userId, { lte: atOrBefore }, filter),
    orderBy: { seq: "desc" },
  });
  return row ? loggedEvent(row) : null;
}
