// The client's view of an operation (GraphQL Operation type).
import { readOnlyRaw, type Database, type Transaction } from "../database/client.ts";
import { Prisma } from "../generated/prisma-sqlite/client.ts";
import type { ItemAction, ItemState, OperationKind, OperationState } from "./states.ts";

export interface OperationFileView {
  fileUUID: string;
  version: number;
  action: ItemAction;
  state: ItemState;
  size: number;
  sha256: string;
}

export interface OperationView {
  id: string;
  kind: OperationKind;
  state: OperationState;
  attempts: number;
  failedPhase: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  filesTotal: number;
  filesDone: number;
  bytesTotal: number;
  bytesDone: number;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  files: OperationFileView[];
}

/** An operation row's fields of the view, and its items', in either provider's types (see readOperationView). */
interface ViewRow {
  id: string;
  kind: string;
  state: string;
  attempts: number | bigint;
  failedPhase: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  filesTotal: number | bigint;
  filesDone: number | bigint;
  bytesTotal: number | bigint;
  bytesDone: number | bigint;
  createdAt: Date | string;
  updatedAt: Date | string;
  finishedAt: Date | string | null;
}

interface ViewItemRow {
  fileUUID: string;
  version: number | bigint;
  action: string;
  state: string;
  size: number | bigint;
  sha256: string;
}

const isoOf = (value: Date | string) => new Date(value).toISOString();

function operationView(op: ViewRow, items: ViewItemRow[]): OperationView {
  return {
    id: op.id,
    kind: op.kind as OperationKind,
    state: op.state as OperationState,
    attempts: Number(op.attempts),
    failedPhase: op.failedPhase,
    errorCode: op.errorCode,
    errorMessage: op.errorMessage,
    filesTotal: Number(op.filesTotal),
    filesDone: Number(op.filesDone),
    bytesTotal: Number(op.bytesTotal),
    bytesDone: Number(op.bytesDone),
    createdAt: isoOf(op.createdAt),
    updatedAt: isoOf(op.updatedAt),
    finishedAt: op.finishedAt === null ? null : isoOf(op.finishedAt),
    files: items.map((item) => ({
      fileUUID: item.fileUUID,
      version: Number(item.version),
      action: item.action as ItemAction,
      state: item.state as ItemState,
      size: Number(item.size),
      sha256: item.sha256,
    })),
  };
}

/** The view inside a transaction (what the transaction has written included). */
export async function loadOperationView(
  db: Database | Transaction,
  userId: string,
  operationId: string,
): Promise<OperationView | null> {
  const op = await db.operation.findFirst({
    where: { id: operationId, userId },
    include: { items: { orderBy: { fileUUID: "asc" } } },
  });
  return op ? operationView(op, op.items) : null;
}

/**
 * The view of what has committed, for the `operation` query (the polling
 * fallback of transferProgress, asked again and again while a transfer
 * runs): one raw statement, the operation beside each of its items (none:
 * one row of nulls), without Prisma's two compiled queries.
 */
export async function readOperationView(
  db: Database,
  userId: string,
  operationId: string,
): Promise<OperationView | null> {
  const rows = await readOnlyRaw<ViewRow & { [K in keyof ViewItemRow as `item_${K}`]: ViewItemRow[K] | null }>(
    db,
    Prisma.sql`SELECT o."id", o."kind", o."state", o."attempts", o."failedPhase", o."errorCode", o."errorMessage",
      o."filesTotal", o."filesDone", o."bytesTotal", o."bytesDone", o."createdAt", o."updatedAt", o."finishedAt",
      i."fileUUID" AS "item_fileUUID", i."version" AS "item_version", i."action" AS "item_action",
      i."state" AS "item_state", i."size" AS "item_size", i."sha256" AS "item_sha256"
      FROM "Operation" o LEFT JOIN "OperationItem" i ON i."operationId" = o."id"
      WHERE o."id" = ${operationId} AND o."userId" = ${userId} ORDER BY i."fileUUID"`,
  );
  const [first] = rows;
  if (!first) return null;
  const items = rows.flatMap((row) =>
    row.item_fileUUID === null
      ? []
      : [
          {
            fileUUID: row.item_fileUUID,
            version: row.item_version!,
            action: row.item_action!,
            state: row.item_state!,
            size: row.item_size!,
            sha256: row.item_sha256!,
          },
        ],
  );
  return operationView(first, items);
}
