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

/** An operation as the `operation` query has it: its files are read only when the query asks for them. */
export type LazyOperationView = Omit<OperationView, "files"> & { files?: OperationFileView[] };

export async function loadOperationView(
  db: Database | Transaction,
  userId: string,
  operationId: string,
): Promise<OperationView | null> {
  const op = await loadOperationStatus(db, userId, operationId);
  return op && { ...op, files: await loadOperationFiles(db, operationId) };
}

/** An operation row's fields of the view, in either provider's types (see readOperationStatus). */
interface StatusRow {
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

const isoOf = (value: Date | string) => new Date(value).toISOString();

/**
 * The operation without its files as it has committed, for the `operation`
 * query (what a follower polls, again and again while a transfer runs): one
 * raw statement, without Prisma's compiled query. Its files are read only
 * when the query asks for them (loadOperationFiles).
 */
export async function readOperationStatus(
  db: Database,
  userId: string,
  operationId: string,
): Promise<Omit<OperationView, "files"> | null> {
  const [op] = await readOnlyRaw<StatusRow>(
    db,
    Prisma.sql`SELECT "id", "kind", "state", "attempts", "failedPhase", "errorCode", "errorMessage",
      "filesTotal", "filesDone", "bytesTotal", "bytesDone", "createdAt", "updatedAt", "finishedAt"
      FROM "Operation" WHERE "id" = ${operationId} AND "userId" = ${userId}`,
  );
  if (!op) return null;
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
  };
}

/** The operation without its files, inside a transaction (what it has written included). */
export async function loadOperationStatus(
  db: Database | Transaction,
  userId: string,
  operationId: string,
): Promise<Omit<OperationView, "files"> | null> {
  const op = await db.operation.findFirst({ where: { id: operationId, userId } });
  if (!op) return null;
  return {
    id: op.id,
    kind: op.kind as OperationKind,
    state: op.state as OperationState,
    attempts: op.attempts,
    failedPhase: op.failedPhase,
    errorCode: op.errorCode,
    errorMessage: op.errorMessage,
    filesTotal: op.filesTotal,
    filesDone: op.filesDone,
    bytesTotal: Number(op.bytesTotal),
    bytesDone: Number(op.bytesDone),
    createdAt: op.createdAt.toISOString(),
    updatedAt: op.updatedAt.toISOString(),
    finishedAt: op.finishedAt?.toISOString() ?? null,
  };
}

export async function loadOperationFiles(
  db: Database | Transaction,
  operationId: string,
): Promise<OperationFileView[]> {
  const items = await db.operationItem.findMany({ where: { operationId }, orderBy: { fileUUID: "asc" } });
  return items.map((item) => ({
    fileUUID: item.fileUUID,
    version: item.version,
    action: item.action as ItemAction,
    state: item.state as ItemState,
    size: Number(item.size),
    sha256: item.sha256,
  }));
}
