// Prisma's better-sqlite3 adapter prepares every statement anew, and SQLite's
// compile of a statement costs more than running most of ours (a profile of
// the control plane had prepare() alone at ~5% of the server's CPU). The
// connection's prepare() is given a cache by SQL text. The adapter binds its
// arguments with bind(), which better-sqlite3 allows once in a statement's
// life, so the cache hands out a view that passes them at each run instead.
// better-sqlite3 is synchronous: a view's run completes before another
// starts, so views of one statement never overlap.
import type BetterSqlite3 from "better-sqlite3";

/** Enough for every statement shape the server sends; Prisma's IN lists make a few per chunk size. */
const maxStatements = 1000;

type Arguments = unknown[];

/** What the adapter calls on a prepared statement, with the arguments given at each call. */
function viewOf(statement: BetterSqlite3.Statement, bound: Arguments) {
  return {
    get reader() {
      return statement.reader;
    },
    bind: (...args: Arguments) => viewOf(statement, args),
    run: (...args: Arguments) => statement.run(...bound, ...args),
    get: (...args: Arguments) => statement.raw(false).get(...bound, ...args),
    all: (...args: Arguments) => statement.raw(false).all(...bound, ...args),
    columns: () => statement.columns(),
    raw: (toggle = true) => ({
      all: (...args: Arguments) => statement.raw(toggle).all(...bound, ...args),
      get: (...args: Arguments) => statement.raw(toggle).get(...bound, ...args),
    }),
  };
}

export function cacheStatements(connection: BetterSqlite3.Database): void {
  const prepare = connection.prepare.bind(connection);
  const statements = new Map<string, BetterSqlite3.Statement>();
  connection.prepare = ((source: string) => {
    let statement = statements.get(source);
    if (!statement) {
      statement = prepare(source);
      // The oldest shape goes first; a statement dropped is simply prepared again when it comes back.
      if (statements.size >= maxStatements) statements.delete(statements.keys().next().value!);
      statements.set(source, statement);
    }
    return viewOf(statement, []);
  }) as unknown as BetterSqlite3.Database["prepare"];
}
