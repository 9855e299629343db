// `npm run bench:transfers -w api`: the server's CPU per file of the two
// transfers for a batch of small files (issue 12: under 1 ms a file). The
// upload phase is left out: the staged uploads are seeded directly (bytes in
// staging, COMPLETE rows), as largeBatch.test.ts does, so that what is timed
// is commit -> SUCCEEDED (the commit mutation and the outbound transfer to
// the local cloud) and startInboundTransfer -> SUCCEEDED (the inbound
// transfer into staging). The server runs in this process, so its CPU is the
// process's (process.cpuUsage); the wait polls one cheap query every 20 ms.
// Options: --files N (default 1000), --reps N (default 3), --profile DIR
// (a CPU profile of each timed part of the last repetition, as
// outbound.cpuprofile and inbound.cpuprofile in DIR, for Chrome DevTools).
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { startTestServer, type TestServer } from "@smsync/testkit";
import { fixed, median, table } from "@smsync/testkit/bench";

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "1000" },
    reps: { type: "string", default: "3" },
    profile: { type: "string" },
  },
});
const fileCount = Number(values.files);
const reps = Number(values.reps);

interface Timing {
  wallMs: number;
  cpuMs: number;
}

/** Times run; with a profile name, profiles it too (outside the figures: they are taken before the profile is written). */
async function timed(run: () => Promise<void>, profileName?: string): Promise<Timing> {
  const session = profileName ? new Session() : null;
  if (session) {
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
  }
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  const timing = { wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
  if (session && values.profile) {
    const { profile } = await session.post("Profiler.stop");
    await mkdir(values.profile, { recursive: true });
    await writeFile(path.join(values.profile, `${profileName}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
  return timing;
}

async function waitForSucceeded(server: TestServer, operationId: string): Promise<void> {
  for (;;) {
    const { state, errorMessage } = await server.app.services.db.operation.findUniqueOrThrow({
      where: { id: operationId },
      select: { state: true, errorMessage: true },
    });
    if (state === "SUCCEEDED") return;
    if (state === "FAILED") throw new Error(`transfer ${operationId} failed: ${errorMessage}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** One repetition: a new user, N staged files of 1-16 KiB committed, then downloaded by another device. */
async function runOnce(server: TestServer, profile: boolean): Promise<{ outbound: Timing; inbound: Timing }> {
  const { db, staging } = server.app.services;
  const device = await server.newUser();
  const user = await db.user.findUniqueOrThrow({ where: { name: device.userName }, include: { devices: true } });
  const deviceId = user.devices[0]!.id;
  const { fencingToken } = await device.lock();
  const rows = await Promise.all(
    Array.from({ length: fileCount }, async (_, index) => {
      const content = randomBytes(1024 + ((index * 977) % (15 * 1024)));
      const id = randomUUID();
      await writeFile(staging.uploadPath(id), content);
      return {
        id,
        userId: user.id,
        deviceId,
        fileUUID: randomUUID(),
        version: 0,
        sha256: createHash("sha256").update(content).digest("hex"),
        cloudFileName: `file-${index}.txt`,
        mimeType: "text/plain",
        size: BigInt(content.length),
        fencingToken,
        state: "COMPLETE",
        completedAt: new Date(),
      };
    }),
  );
  await db.$transaction((tx) => tx.stagedUpload.createMany({ data: rows }));

  const outbound = await timed(
    async () => {
      const operation = await device.commit(fencingToken);
      await waitForSucceeded(server, operation.id);
    },
    profile ? "outbound" : undefined,
  );
  const laptop = await server.newDevice(device.userName);
  const grant = await laptop.lock();
  const inbound = await timed(
    async () => {
      const files = rows.map((row) => ({ fileUUID: row.fileUUID, version: row.version }));
      const operation = await laptop.startInboundTransfer(grant.fencingToken, files);
      await waitForSucceeded(server, operation.id);
    },
    profile ? "inbound" : undefined,
  );
  return { outbound, inbound };
}

const server = await startTestServer();
try {
  const runs: { outbound: Timing; inbound: Timing }[] = [];
  for (let rep = 0; rep < reps; rep++) {
    runs.push(await runOnce(server, values.profile !== undefined && rep === reps - 1));
    process.stderr.write(`repetition ${rep + 1}/${reps} done\n`);
  }
  const row = (name: string, pick: (run: { outbound: Timing; inbound: Timing }) => Timing) => {
    const wall = median(runs.map((run) => pick(run).wallMs));
    const cpu = median(runs.map((run) => pick(run).cpuMs));
    return [name, String(fileCount), fixed(wall), fixed(cpu), fixed(cpu / fileCount, 2)];
  };
  console.log(
    table(
      ["transfer", "files", "wall ms", "CPU ms", "CPU ms / file"],
      [row("commit -> SUCCEEDED", (run) => run.outbound), row("startInbound -> SUCCEEDED", (run) => run.inbound)],
      ["left", "right", "right", "right", "right"],
    ),
  );
} finally {
  await server.close();
}
