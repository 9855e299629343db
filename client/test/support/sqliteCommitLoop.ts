// A child process for test/store/sqliteCrash.test.ts, killed with SIGKILL
// while it works: commits batch after batch to a SqliteStore, each batch
// writing its number into every key (as the file records' version, and as
// meta's nextBatch), and prints each number once committed.
//
//   node --import tsx test/support/sqliteCommitLoop.ts <file> <keys>
//
// It resumes after the batch the file holds, so the numbers keep growing
// across kills.
import { sequenceKey, type StoreChange } from "../../src/store/ClientStore.ts";
import { SqliteStore } from "../../src/store/SqliteStore.ts";
import { sampleFile, sampleOutboxEntry } from "./sampleRecords.ts";

const [file, keysArgument] = process.argv.slice(2);
const keys = Number(keysArgument);
if (!file || !Number.isSafeInteger(keys) || keys < 1) throw new Error("usage: sqliteCommitLoop.ts <file> <keys>");

// Large enough that a batch spans many pages, so a kill lands inside a commit.
const padding = "x".repeat(2048);

// The loop never yields to the event loop (commit is synchronous inside), so
// no timer or pipe error could end it if the test lost track of it: a deadline does.
const deadline = performance.now() + 30_000;

const store = await SqliteStore.open(file);
for (let batch = ((await store.get("meta", "nextBatch")) ?? 0) + 1; ; batch++) {
  if (performance.now() > deadline) throw new Error("still running after 30 s: the test that was to kill me is gone");
  const changes: StoreChange[] = [];
  for (let i = 0; i < keys; i++)
    changes.push({ op: "put", collection: "files", key: sequenceKey(i), value: sampleFile(batch, padding) });
  // A clear and a put across collections, which must land together with the rest.
  changes.push(
    { op: "clear", collection: "outbox" },
    { op: "put", collection: "outbox", key: sequenceKey(batch), value: sampleOutboxEntry(batch) },
  );
  changes.push({ op: "put", collection: "meta", key: "nextBatch", value: batch });
  await store.commit(changes);
  // Synchronous on a pipe (Linux): once the parent reads it, the batch is committed.
  process.stdout.write(`${batch}\n`);
}
