// The items (files) of a new operation, written by multi-row INSERTs: a
// nested `items: { create }` costs a statement a file, and a batch may name
// thousands.
import type { Prisma, Transaction } from "../database/client.ts";
import { insertRows } from "../database/transactionRaw.ts";

type NewItem = Omit<Prisma.OperationItemCreateManyInput, "operationId">;

export async function createOperationItems(tx: Transaction, operationId: string, items: NewItem[]): Promise<void> {
  const rows = items.map((item) => ({ ...item, operationId }));
  await insertRows(tx, "OperationItem", rows);
}
