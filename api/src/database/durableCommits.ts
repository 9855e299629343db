// Checked once at start: the database makes a commit durable before it
// returns, since the server answers and sends events as soon as a
// transaction has committed. SQLite: both connections must run with
// synchronous=FULL (sqliteSynchronousFull.ts sets it; a connection that does
// not take it throws, and the server does not start). PostgreSQL: commits are
// durable unless the operator turned `fsync` or `synchronous_commit` off; the
// server warns and starts anyway, as that is the operator's choice.
import type { Logger } from "../logging/logger.ts";
import { providerOf, type Database } from "./client.ts";
import { DatabaseNotDurableError } from "./sqliteSynchronousFull.ts";

export async function checkDurableCommits(db: Database, databaseUrl: string, logger: Logger): Promise<void> {
  if (providerOf(databaseUrl) === "sqlite") {
    // The writer answers raw statements; a model read opens the reader. Each connection checks its setting as it opens.
    const [row] = await db.$queryRawUnsafe<{ synchronous: bigint | number }[]>("PRAGMA synchronous");
    await db.user.findFirst({ select: { id: true } });
    if (!row) throw new DatabaseNotDurableError("SQLite answered PRAGMA synchronous with no row");
    if (Number(row.synchronous) < 2)
      throw new DatabaseNotDurableError(`SQLite runs with synchronous=${row.synchronous}, not FULL (2)`);
    return;
  }
  const settings = await db.$queryRawUnsafe<{ name: string; setting: string }[]>(
    "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')",
  );
  const off = settings.filter((row) => row.setting === "off").map((row) => row.name);
  if (off.length > 0) {
    logger.warn(
      { settings: Object.fromEntries(settings.map((row) => [row.name, row.setting])) },
      `PostgreSQL runs with ${off.join(" and ")} off: a commit the server has acknowledged can be lost in a power loss or an operating system crash`,
    );
  }
}
