// Two processes writing one SQLite file: the server and `npm run admin` (or
// the simulator's setup). A deferred transaction that read before the other
// process committed cannot then write (SQLITE_BUSY, which Prisma reports as
// "Operation has timed out"); transactions that take the write lock when they
// begin wait for each other instead. On PostgreSQL the same steps must pass.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { addUser, createUser } from "../../src/auth/users.ts";
import { useMigratedTestDatabase } from "../support/migratedTestDatabase.ts";
import { sourceNodeOptions, testProvider } from "@smsync/testkit";

const apiDir = path.resolve(import.meta.dirname, "../..");
const fixture = useMigratedTestDatabase("smsync-writers-");

/** `npm run admin -- add-user NAME` in its own process; resolves with its exit code and output once it has ended. */
function adminAddUser(userName: string): { ended: Promise<{ code: number | null; output: string }> } {
  const child = spawn(process.execPath, [...sourceNodeOptions, "src/admin/cli.ts", "add-user", userName], {
    cwd: apiDir,
    env: { ...process.env, SMSYNC_DATA_DIR: fixture.dir, DATABASE_URL: fixture.url },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  return { ended: once(child, "exit").then(([code]) => ({ code: code as number | null, output })) };
}

describe(`two processes writing the ${testProvider} database`, () => {
  it("a transaction that read, then waited while another process tried to write, still writes; and so does the other process", async () => {
    // No time window: the other process (writerProcess.ts) is told to write
    // only once this transaction has read, and this transaction writes only
    // once that process has tried the write lock and said what it found.
    const writer = spawn(
      process.execPath,
      [...sourceNodeOptions, "test/database/writerProcess.ts", fixture.url, "from-writer"],
      { cwd: apiDir },
    );
    const lines = createInterface({ input: writer.stdout })[Symbol.asyncIterator]();
    let errors = "";
    writer.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString("utf8")));
    const ended = once(writer, "exit");
    const nextLine = async () => ((await lines.next()).value as string | undefined) ?? `(ended) ${errors}`;
    expect(await nextLine()).toBe("ready");
    let found = "";
    await fixture.db.$transaction(async (tx) => {
      expect(await tx.user.findUnique({ where: { name: "from-server" } })).toBeNull();
      writer.stdin.end("go\n");
      // Before the fix, this transaction held no lock yet: the other process wrote and committed here, and the create below failed.
      found = await nextLine();
      await createUser(tx, "from-server");
    });
    expect(await nextLine()).toBe("created user from-writer");
    const [code] = (await ended) as [code: number | null, signal: NodeJS.Signals | null];
    expect(code, errors).toBe(0);
    // The race happened: on SQLite the other process met this transaction's write lock (and waited for it to commit).
    expect(found).toBe(testProvider === "sqlite" ? "contended" : "free");
    expect((await fixture.db.user.findMany({ orderBy: { name: "asc" } })).map((user) => user.name)).toEqual([
      "from-server",
      "from-writer",
    ]);
  });

  it("the other process's read-then-write transaction meets this process's commits and still writes", async () => {
    // The simulator's failure: `addUser` (find, then create) in one process
    // while the server commits in another.
    const admin = adminAddUser("admin-busy");
    let adminEnded = false;
    void admin.ended.then(() => (adminEnded = true));
    let serverWrites = 0;
    while (!adminEnded) {
      await addUser(fixture.db, `server-${++serverWrites}`);
      // Free the lock a moment between writes: the other process's waits for it are polls, which a writer that never
      // paused could starve past the busy timeout. (It also lets the child's exit be heard.)
      await sleep(2);
    }
    const { code, output } = await admin.ended;
    expect(output).toMatch(/created user admin-busy/);
    expect(code).toBe(0);
    expect(await fixture.db.user.count({ where: { name: { startsWith: "server-" } } })).toBe(serverWrites);
  });
});
