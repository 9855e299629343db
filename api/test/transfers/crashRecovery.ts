// Crash safety of the durable transfers (SPEC 2 and 3.6): the real server
// process kills itself with SIGKILL at each crash point of the outbound and
// inbound transfers (src/faults/crashPoints.ts), is started again on the
// same data directory and database without the crash point, and must finish
// the transfer on its own, exactly once: the operation SUCCEEDED, one cloud
// object per (fileUUID, version) and nothing else in the user's cloud, the
// file index right, each file counted once, the lock free, and for inbound
// transfers the files downloadable with the right bytes.
//
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CrashPoint } from "../../src/faults/crashPoints.ts";
import {
  downloadUrlOf,
  operationFields,
  type OperationResult,
  ProcessServer,
  sha256Hex,
  type TestUser,
  transferEventPayload,
  transferredFiles,
  tusUpload,
} from "@smsync/testkit";
import type { processClouds, ProcessCloud } from "../support/processClouds.ts";

// A short claim lets the restarted server take the dead worker's claim over quickly.
const baseEnv = { SMSYNC_TRANSFER_CLAIM_SECONDS: "1" };
const waitMs = 60_000;
// A case starts two server processes; the machine may be busy.
const caseTimeoutMs = 180_000;

interface FileSpec {
  fileUUID: string;
  version: number;
  content: Buffer;
}

interface ExpectedFile extends FileSpec {
  deleted?: boolean;
}

interface CrashCase {
  point: CrashPoint;
  /** SMSYNC_CRASH_AFTER: hits of the point to pass before crashing. */
  after?: number;
  note: string;
}

/** A file of each size (a tuple of as many files as sizes). */
function newFiles<Sizes extends number[] | []>(sizes: Sizes): { [K in keyof Sizes]: FileSpec } {
  return sizes.map((size) => ({ fileUUID: randomUUID(), version: 0, content: randomBytes(size) })) as {
    [K in keyof Sizes]: FileSpec;
  };
}

function crashEnv({ point, after }: CrashCase): Record<string, string> {
  return { ...baseEnv, SMSYNC_CRASH_AT: point, SMSYNC_CRASH_AFTER: String(after ?? 0) };
}

async function dirEntries(dir: string): Promise<string[]> {
  return existsSync(dir) ? (await readdir(dir)).sort() : [];
}

/** A server process on its own state, and the checks against it. */
class Lane {
  constructor(
    readonly server: ProcessServer,
    readonly cloud: ProcessCloud,
  ) {}

  /** Uploads the files over tus; returns the upload ids (the names of their staged bytes). */
  async uploadAll(user: TestUser, fencingToken: number, files: FileSpec[]): Promise<string[]> {
    const ids: string[] = [];
    for (const file of files) {
      const { url } = await tusUpload(this.server.url, user.client.token!, {
        fileUUID: file.fileUUID,
        version: file.version,
        content: file.content,
        fencingToken,
        cloudFileName: `${file.fileUUID}.bin`,
      });
      ids.push(new URL(url).pathname.split("/").pop()!);
    }
    return ids;
  }

  /** Commits files of a fresh user (with a server that does not crash). */
  async committedUser(files: FileSpec[]): Promise<TestUser> {
    const user = await this.server.newUser();
    const { fencingToken } = await user.client.lock();
    await this.uploadAll(user, fencingToken, files);
    const op = await user.client.waitForOperation((await user.client.commit(fencingToken)).id, waitMs);
    expect(op.state).toBe("SUCCEEDED");
    return user;
  }

  /** The operation ended well after the one run the crash cut short (which counts as an attempt), and each of its files was counted once. */
  async expectSucceededOnce(user: TestUser, operationId: string, filesTotal: number): Promise<OperationResult> {
    const op = await user.client.waitForOperation(operationId, waitMs);
    expect(op, this.server.current?.output()).toMatchObject({
      state: "SUCCEEDED",
      attempts: 1,
      filesTotal,
      filesDone: filesTotal,
      errorCode: null,
    });
    expect(op.bytesDone).toBe(op.bytesTotal);
    expect(op.files.map((file) => file.state)).toEqual(op.files.map(() => "DONE"));
    const events = await this.server.db().event.findMany({ where: { operationId }, orderBy: { seq: "asc" } });
    const transferred = transferredFiles(events).map((file) => file.fileUUID);
    expect(transferred.sort()).toEqual(op.files.map((file) => file.fileUUID).sort());
    const succeeded = events.filter(
      (event) => event.type === "OPERATION_STATE" && transferEventPayload(event.payload).state === "SUCCEEDED",
    );
    expect(succeeded).toHaveLength(1);
    return op;
  }

  /** The identity of each object in the user's cloud (changes if it is written again). */
  objectFiles(userId: string): Promise<Map<string, string>> {
    return this.cloud.objectIdentities(this.server, userId);
  }

  /** Objects written before the crash were not written again by the recovery (and not removed). */
  async expectNotRewritten(userId: string, before: Map<string, string>): Promise<void> {
    const after = await this.objectFiles(userId);
    for (const [name, identity] of before) expect(after.get(name), name).toBe(identity);
  }

  /** Exactly the expected live objects in the user's cloud, with the right bytes, and no leftovers. */
  expectCloud(userId: string, live: FileSpec[]): Promise<void> {
    return this.cloud.expectObjects(this.server, userId, live);
  }

  async expectIndex(user: TestUser, files: ExpectedFile[]): Promise<void> {
    const index = await user.client.fileIndex();
    const byUUID = new Map(index.files.map((entry) => [entry.fileUUID, entry]));
    expect(index.files).toHaveLength(files.length);
    for (const file of files) {
      expect(byUUID.get(file.fileUUID)).toMatchObject({
        version: file.version,
        deleted: file.deleted ?? false,
        sha256: sha256Hex(file.content),
        size: file.content.length,
      });
    }
  }

  /** Another device of the user gets the lock as a new grant: the transfer released it. */
  async expectLockFree(user: TestUser, previousToken: number): Promise<void> {
    const other = await this.server.newDevice(user.userName);
    const grant = await other.client.lock();
    expect(grant.heldPreviously).toBe(false);
    expect(grant.fencingToken).toBe(previousToken + 1);
    await other.client.ok(
      `mutation($key: String!, $token: Int!) { unlock(idempotencyKey: $key, fencingToken: $token) }`,
      {
        key: randomUUID(),
        token: grant.fencingToken,
      },
    );
  }

  /** The staged bytes of a transfer's uploads are removed once it has succeeded (soon after: polled). */
  async expectUploadsRemovedFromStaging(uploadIds: string[]): Promise<void> {
    const dir = path.join(this.server.stagingDir, "uploads");
    const left = async () =>
      (await dirEntries(dir)).filter((entry) => uploadIds.includes(entry.replace(/\.json$/, "")));
    const deadline = Date.now() + waitMs;
    while ((await left()).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await left()).toEqual([]);
  }
}

/** Commits with a chosen idempotency key; null when the response was lost to the crash. */
async function commitOrLost(
  user: TestUser,
  fencingToken: number,
  key: ReturnType<typeof randomUUID>,
): Promise<OperationResult | null> {
  return user.client.commit(fencingToken, key).catch(() => null);
}

async function startInbound(
  user: TestUser,
  fencingToken: number,
  files: { fileUUID: string; version: number }[],
  key: string,
) {
  const data = await user.client.ok<{ startInboundTransfer: OperationResult }>(
    `mutation($key: String!, $token: Int!, $files: [FileVersionInput!]!) { startInboundTransfer(idempotencyKey: $key, fencingToken: $token, files: $files) { ${operationFields} } }`,
    { key, token: fencingToken, files },
  );
  return data.startInboundTransfer;
}

type Direction = "outbound" | "inbound";

interface ChainCase extends CrashCase {
  direction: Direction;
  /** The outbound case that replaces two files' objects and deletes a third. */
  replacing?: boolean;
}

const outboundCases: ChainCase[] = [
  { direction: "outbound", point: "outbound.claimed", note: "before any file" },
  {
    direction: "outbound",
    point: "outbound.midCloudWrite",
    note: "in the middle of sending a file's bytes to the cloud",
  },
  {
    direction: "outbound",
    point: "outbound.afterCloudWrite",
    note: "after the first file's cloud write, before its index update",
  },
  {
    direction: "outbound",
    point: "outbound.afterCloudWrite",
    after: 1,
    note: "mid-batch: after the second file's cloud write",
  },
  { direction: "outbound", point: "outbound.afterIndexUpdate", note: "after the first file's index update" },
  { direction: "outbound", point: "outbound.afterIndexUpdate", after: 2, note: "after the last file's index update" },
  { direction: "outbound", point: "outbound.beforeRelease", note: "with every file done, before the lock is released" },
  {
    direction: "outbound",
    point: "outbound.afterReplacedObjectRemoved",
    replacing: true,
    note: "new versions replace two objects and a deletion removes a third",
  },
];

const inboundCases: ChainCase[] = [
  { direction: "inbound", point: "inbound.claimed", note: "before any file" },
  { direction: "inbound", point: "inbound.midCloudRead", note: "in the middle of copying a file's bytes into staging" },
  {
    direction: "inbound",
    point: "inbound.afterStaging",
    note: "after the first file is staged, before it is recorded",
  },
  { direction: "inbound", point: "inbound.afterStaging", after: 1, note: "mid-batch: after the second file is staged" },
  { direction: "inbound", point: "inbound.afterItemDone", note: "after the first file is recorded" },
  { direction: "inbound", point: "inbound.beforeRelease", note: "with every file staged, before the lock is released" },
];

// Starting the server process is the slow part of a case. The cases form one
// chain, outbound and inbound alternating: the server that recovers a case's
// transfer is started armed with the next case's crash point when that is a
// point of the other direction, which this recovery cannot reach (and a case
// that finds the server not armed for it starts one that is).
const chain: ChainCase[] = [];
for (let i = 0; i < Math.max(outboundCases.length, inboundCases.length); i++) {
  const [outbound, inbound] = [outboundCases[i], inboundCases[i]];
  if (outbound) chain.push(outbound);
  if (inbound) chain.push(inbound);
}

function chainCase(index: number): ChainCase {
  const crash = chain[index];
  if (!crash) throw new Error(`no case ${index} in the chain`);
  return crash;
}

function recoveryEnv(index: number): { env: Record<string, string>; armedFor: ChainCase | null } {
  const current = chainCase(index);
  const next = chain[index + 1];
  if (next && next.direction !== current.direction && !next.replacing) return { env: crashEnv(next), armedFor: next };
  return { env: baseEnv, armedFor: null };
}

/** The crash cases on one cloud; each cloud has its own test file (crashRecovery.<cloud>.test.ts), so that two workers share them. */
export function crashRecoverySuite(processCloud: (typeof processClouds)[number]): void {
  describe.sequential(
    `the server is killed at each crash point of a transfer and restarted (${processCloud.name} cloud)`,
    () => {
      let lane: Lane;
      let armedFor: ChainCase | null = null;

      beforeAll(async () => {
        const cloud = await processCloud.start();
        lane = new Lane(await ProcessServer.create(cloud.serverOptions), cloud);
        await lane.server.start(baseEnv);
      });
      afterAll(async () => {
        await lane?.server.close();
        await lane?.cloud.close();
      });

      /** Makes sure the running server is armed for this case. */
      async function arm(crash: ChainCase): Promise<void> {
        if (armedFor === crash && !lane.server.current?.hasExited) return;
        await lane.server.stop();
        await lane.server.start(crashEnv(crash));
        armedFor = crash;
      }

      /**
       * Waits for the crash of the armed server, then starts it again without this
       * crash point. Returns the user's cloud objects as the crash left them.
       */
      async function crashAndRecover(index: number, userId: string): Promise<Map<string, string>> {
        const crashed = lane.server.current!;
        const exit = await crashed.waitForExit(waitMs);
        expect(exit, crashed.output()).toEqual({ code: null, signal: "SIGKILL" });
        expect(crashed.output()).toContain(`crash point ${chainCase(index).point} reached`);
        const leftByCrash = await lane.objectFiles(userId);
        const recovery = recoveryEnv(index);
        await lane.server.start(recovery.env);
        armedFor = recovery.armedFor;
        return leftByCrash;
      }

      it.each(chain.map((crash, index) => ({ ...crash, index })))(
        "$point (after $after): $note",
        { timeout: caseTimeoutMs },
        async (crash) => {
          if (crash.direction === "outbound" && !crash.replacing) {
            const user = await lane.server.newUser();
            const files = newFiles([17, 64 * 1024, 300_000]);
            await arm(chainCase(crash.index));

            const { fencingToken } = await user.client.lock();
            const uploadIds = await lane.uploadAll(user, fencingToken, files);
            const key = randomUUID();
            const answered = await commitOrLost(user, fencingToken, key);
            const leftByCrash = await crashAndRecover(crash.index, user.userId);

            // A commit whose response was lost is retried with the same key: the same operation.
            const committed = await user.client.commit(fencingToken, key);
            if (answered) expect(committed.id).toBe(answered.id);

            await lane.expectSucceededOnce(user, committed.id, files.length);
            // A commit again under the same grant, with a new idempotency key: the same operation, done.
            expect(await user.client.commit(fencingToken)).toMatchObject({ id: committed.id, state: "SUCCEEDED" });
            await lane.expectCloud(user.userId, files);
            await lane.expectNotRewritten(user.userId, leftByCrash);
            await lane.expectIndex(user, files);
            await lane.expectLockFree(user, fencingToken);
            await lane.expectUploadsRemovedFromStaging(uploadIds);
          } else if (crash.direction === "outbound") {
            const [a, b, c] = newFiles([10, 20_000, 30]);
            const user = await lane.committedUser([a, b, c]);
            await arm(chainCase(crash.index));

            const { fencingToken } = await user.client.lock();
            const a1 = { ...a, version: 1, content: randomBytes(40_000) };
            const b1 = { ...b, version: 1, content: randomBytes(50) };
            const uploadIds = await lane.uploadAll(user, fencingToken, [a1, b1]);
            await user.client.deleteFiles(fencingToken, [{ fileUUID: c.fileUUID, version: 0 }]);
            const key = randomUUID();
            const answered = await commitOrLost(user, fencingToken, key);
            const leftByCrash = await crashAndRecover(crash.index, user.userId);

            const committed = await user.client.commit(fencingToken, key);
            if (answered) expect(committed.id).toBe(answered.id);

            await lane.expectSucceededOnce(user, committed.id, 3);
            await lane.expectCloud(user.userId, [a1, b1]);
            const replacedNames = [a, b, c].flatMap((file) => [`${file.fileUUID}.v0`, `${file.fileUUID}.v0.json`]);
            await lane.expectNotRewritten(
              user.userId,
              new Map([...leftByCrash].filter(([name]) => !replacedNames.includes(name))),
            );
            await lane.expectIndex(user, [a1, b1, { ...c, deleted: true }]);
            await lane.expectLockFree(user, fencingToken);
            await lane.expectUploadsRemovedFromStaging(uploadIds);
          } else {
            // Its files are committed first (an outbound transfer, which an inbound crash point cannot stop).
            const files = newFiles([33, 128 * 1024, 250_000]);
            const phone = await lane.committedUser(files);
            const laptop = await lane.server.newDevice(phone.userName);
            await arm(chainCase(crash.index));

            const { fencingToken } = await laptop.client.lock();
            const requested = files.map(({ fileUUID, version }) => ({ fileUUID, version }));
            const key = randomUUID();
            const answered = await startInbound(laptop, fencingToken, requested, key).catch(() => null);
            const leftByCrash = await crashAndRecover(crash.index, phone.userId);

            const started = await startInbound(laptop, fencingToken, requested, key);
            if (answered) expect(started.id).toBe(answered.id);

            const op = await lane.expectSucceededOnce(laptop, started.id, files.length);
            for (const file of files) {
              const response = await fetch(downloadUrlOf(op, file.fileUUID), {
                headers: { authorization: `Bearer ${laptop.client.token}` },
              });
              expect(response.status).toBe(200);
              expect(response.headers.get("x-smsync-sha256")).toBe(sha256Hex(file.content));
              expect(Buffer.from(await response.arrayBuffer()).equals(file.content)).toBe(true);
            }
            // Staging holds each file once, whole, and no partial copy.
            expect(await dirEntries(path.join(lane.server.stagingDir, "inbound", phone.userId))).toEqual(
              files.map((file) => `${file.fileUUID}.v${file.version}`).sort(),
            );
            // The cloud and the index are as the outbound transfer left them.
            await lane.expectCloud(phone.userId, files);
            await lane.expectNotRewritten(phone.userId, leftByCrash);
            await lane.expectIndex(laptop, files);
            await lane.expectLockFree(phone, fencingToken);
          }
        },
      );
    },
  );
}
