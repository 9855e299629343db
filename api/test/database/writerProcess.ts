// The other process of concurrentWriters.test.ts: a writer on the same
// database, over the server's own client (as `npm run admin` is), driven
// step by step through its stdin and stdout so that the test needs no time
// window. It opens the database and prints "ready"; on "go" (sent while the
// test's transaction is open, after its read) it tries the write lock with
// no wait. If the lock is held, it prints "contended" and then adds the user
// (which waits its turn); if it is free (as it was before the fix, when the
// test's transaction only read), it adds the user at once and only then
// prints "free", so the test's write comes after its commit.
import { createInterface } from "node:readline";
import Sqlite from "better-sqlite3";
import { addUser } from "../../src/auth/users.ts";
import { openDatabase, providerOf, sqliteFilePath } from "../../src/database/client.ts";

const [url, userName] = process.argv.slice(2);
if (url === undefined || userName === undefined) throw new Error("usage: writerProcess.ts DATABASE_URL USER_NAME");
const db = openDatabase(url);
await db.user.count();
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
console.log("ready");
if ((await lines.next()).value !== "go") throw new Error("expected go");

/** Whether another connection holds the write lock now (BEGIN IMMEDIATE with no busy wait). */
function writeLockHeld(databaseUrl: string): boolean {
  if (providerOf(databaseUrl) !== "sqlite") return false;
  const probe = new Sqlite(sqliteFilePath(databaseUrl), { timeout: 0 });
  try {
    probe.exec("BEGIN IMMEDIATE");
    probe.exec("ROLLBACK");
    return false;
  } catch (error) {
    if ((error as { code?: string }).code !== "SQLITE_BUSY") throw error;
    return true;
  } finally {
    probe.close();
  }
}

if (writeLockHeld(url)) {
  console.log("contended");
  await addUser(db, userName);
} else {
  await addUser(db, userName);
  console.log("free");
}
console.log(`created user ${userName}`);
await db.$disconnect();
