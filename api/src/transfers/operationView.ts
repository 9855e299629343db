// The client's view of an operation (GraphQL Operation type).
import type { Database, Transaction } from "../database/client.ts";
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

export async function loadOperationView(
  db: Database | Transaction,
  userId: string,
  operationId: string,
): Promise<OperationView | null> {
  const op = await db.operation.findFirst({
    where: { id: operationId, userId },
    include: { items: { orderBy: { fileUUID: "asc" } } },
  });
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
    files: op.items.map((item) => ({
      fileUUID: item.fileUUID,
      version: item.version,
      action: item.action as ItemAction,
      state: item.state as ItemState,
      size: Number(item.size),
      sha256: item.sha256,
    })),
  };
}
