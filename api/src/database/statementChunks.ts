// SQLite binds at most 999 parameters per statement (Prisma's SQLite adapter
// refuses more: "The query parameter limit supported by your database is
// exceeded"), so a query with one or more parameters per file runs once per
// chunk of files. A batch may name thousands of files.

/** Files per statement: leaves room for two parameters a file and the statement's own. */
export const filesPerStatement = 400;

export function chunksOf<T>(items: readonly T[], size = filesPerStatement): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/** Rows per multi-row INSERT (createMany) of a table with this many columns, under the same limit. */
export function rowsPerInsert(columns: number): number {
  return Math.floor(900 / columns);
}
