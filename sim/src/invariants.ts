// The simulator's invariants (docs/testing.md), checked after a run has settled, against the
// server's database and cloud (read past the faults) and what each device's
// app was handed. Each check counts itself, so the report says how many were
// made; each failure names its invariant.
import { invariantNames, type InvariantNumber } from "./invariantNames.ts";
import { workCollections, workLeftInStore } from "@smsync/client";
import { devicesOf, type RunContext } from "./runStep.ts";
import { sha256Hex as sha256, type SimDevice } from "./simDevice.ts";

export { invariantNames, type InvariantNumber };

export interface Violation {
  invariant: InvariantNumber;
  message: string;
}

interface IndexRow {
  fileUUID: string;
  version: number;
  deleted: boolean;
  sha256: string;
}

class Checker {
  readonly violations: Violation[] = [];
  readonly checks: Record<InvariantNumber, number> = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0 };

  check(invariant: InvariantNumber, ok: boolean, message: () => string): void {
    this.checks[invariant]++;
    if (!ok) this.violations.push({ invariant, message: message() });
  }
}

const short = (uuid: string) => uuid.slice(0, 8);

export async function checkInvariants(
  context: RunContext,
  userNames: string[],
): Promise<{ violations: Violation[]; checks: Record<InvariantNumber, number> }> {
  const checker = new Checker();
  // The checks read past the faults: the server's crash points and the Drive's faults left over stop now.
  await context.server.endFaults(userNames);
  for (const [userIndex, userName] of userNames.entries()) {
    await checkUser(checker, context, userIndex, userName, devicesOf(context, userIndex));
  }
  return checker;
}

async function checkUser(
  c: Checker,
  context: RunContext,
  userIndex: number,
  userName: string,
  devices: SimDevice[],
): Promise<void> {
  const { db } = context.server;
  const userId = await context.server.userId(userName);
  const rows: IndexRow[] = await db.fileEntry.findMany({
    where: { userId },
    select: { fileUUID: true, version: true, deleted: true, sha256: true },
  });
  const index = new Map(rows.map((row) => [row.fileUUID, row]));
  const live = rows.filter((row) => !row.deleted);
  const cloud = await context.server.listCloud(userName);
  // Sabotage 3: the simulator's listing of user 0's cloud shows its first object twice.
  const [firstObject] = cloud;
  if (context.sabotage === 3 && userIndex === 0 && firstObject) cloud.push(firstObject);
  const u = `user ${userIndex}`;

  // 1. Every committed change is in the index (or was superseded, or given up knowingly), and every live file is in the cloud with its sha256.
  for (const device of devices) {
    for (const batch of device.record.committed) {
      for (const change of batch.changes) {
        const what = `${device.name} batch ${batch.batch} ${change.kind} ${short(change.fileUUID)}`;
        const entry = index.get(change.fileUUID);
        const confirmed = device.record.singleUploadComplete.find(
          (event) => event.batch === batch.batch && event.fileUUID === change.fileUUID,
        );
        if (confirmed) {
          c.check(
            1,
            entry !== undefined && entry.version >= confirmed.version,
            () =>
              `${what}: confirmed as v${confirmed.version} but the index has ${entry ? `v${entry.version}` : "no entry"}`,
          );
          if (entry && entry.version === confirmed.version) {
            // A deletion keeps the version it deletes: an upload's version may since have been deleted by a device of the user.
            const deletedSince = devices.some((other) =>
              other.record.singleUploadComplete.some(
                (event) =>
                  event.kind === "delete" && event.fileUUID === change.fileUUID && event.version === entry.version,
              ),
            );
            const matches =
              change.kind === "upload"
                ? entry.deleted
                  ? deletedSince
                  : entry.sha256 === change.sha256
                : entry.deleted;
            c.check(
              1,
              matches,
              () =>
                `${what}: confirmed as v${confirmed.version}, the index's v${entry.version} is ${entry.deleted ? "deleted" : `sha ${short(entry.sha256)}`}`,
            );
          }
          continue;
        }
        const acceptedRemote = device.record.conflicts.some(
          (conflict) => conflict.conflict.fileUUID === change.fileUUID && conflict.resolution === "accept-remote",
        );
        const droppedByReset = device.record.resets.some(
          (reset) => reset.scope !== "server" && reset.afterBatch >= batch.batch,
        );
        // The device's own later change of the file (checked in turn) supersedes it: both may be settled at once (e.g. deleted on both sides).
        const superseded = device.record.committed.some(
          (later) => later.batch > batch.batch && later.changes.some((other) => other.fileUUID === change.fileUUID),
        );
        // Or by a change the app queued after the batch that never needed a batch: the server had it already (an upload, then a
        // deletion while another device deleted the file too), so the engine dropped both and completed the batch without it.
        const newestQueued = device.record.queued.findLast(
          (queued) => queued.fileUUID === change.fileUUID && queued.afterBatch >= batch.batch,
        );
        const supersededByQueued =
          newestQueued !== undefined &&
          entry !== undefined &&
          (newestQueued.kind === "delete" ? entry.deleted : !entry.deleted && entry.sha256 === newestQueued.sha256);
        const alreadyThere =
          entry !== undefined &&
          (change.kind === "upload" ? !entry.deleted && entry.sha256 === change.sha256 : entry.deleted);
        c.check(
          1,
          acceptedRemote || droppedByReset || superseded || supersededByQueued || alreadyThere,
          () =>
            `${what}: never confirmed, not superseded, not dropped by a conflict or a reset, and the index has ${entry ? `v${entry.version}${entry.deleted ? " deleted" : ` sha ${short(entry.sha256)}`}` : "no entry"}: the change is lost`,
        );
      }
    }
  }
  for (const entry of live) {
    const objects = cloud.filter((object) => object.fileUUID === entry.fileUUID);
    const object = objects.find((candidate) => candidate.version === entry.version);
    c.check(1, object !== undefined, () => `${u} ${short(entry.fileUUID)} v${entry.version}: no cloud object`);
    if (object) {
      const content = await context.server.readCloud(userName, object.objectId);
      c.check(
        1,
        sha256(content) === entry.sha256,
        () =>
          `${u} ${short(entry.fileUUID)} v${entry.version}: the cloud holds sha ${short(sha256(content))}, the index says ${short(entry.sha256)}`,
      );
    }
  }

  // 2. Every device holds exactly the index's live files, with their content.
  for (const device of devices) {
    const held = [...device.files.entries()].sort(([a], [b]) => a.localeCompare(b));
    const expected = live.map((entry) => entry.fileUUID).sort();
    c.check(
      2,
      JSON.stringify(held.map(([uuid]) => uuid)) === JSON.stringify(expected),
      () =>
        `${device.name} holds [${held.map(([uuid]) => short(uuid)).join(", ")}], the index's live files are [${expected.map(short).join(", ")}]`,
    );
    for (const [fileUUID, file] of held) {
      const entry = index.get(fileUUID);
      if (entry && !entry.deleted)
        c.check(
          2,
          file.sha256 === entry.sha256,
          () =>
            `${device.name} holds ${short(fileUUID)} with sha ${short(file.sha256)}, the index's v${entry.version} has ${short(entry.sha256)}`,
        );
    }
  }

  // 3. One cloud object per live (fileUUID, version), nothing else.
  const seen = new Map<string, { fileUUID: string; version: number; count: number }>();
  for (const { fileUUID, version } of cloud) {
    const key = `${fileUUID}@${version}`;
    seen.set(key, { fileUUID, version, count: (seen.get(key)?.count ?? 0) + 1 });
  }
  for (const { fileUUID, version, count } of seen.values()) {
    const entry = index.get(fileUUID);
    c.check(3, count === 1, () => `${u} ${short(fileUUID)} v${version}: ${count} cloud objects`);
    c.check(
      3,
      entry !== undefined && !entry.deleted && entry.version === version,
      () =>
        `${u} ${short(fileUUID)} v${version}: orphan cloud object (index: ${entry ? `v${entry.version}${entry.deleted ? " deleted" : ""}` : "no entry"})`,
    );
  }

  // 4. Deliveries: at least once to the callback, exactly once acknowledged (an event for each).
  for (const device of devices) {
    const { record } = device;
    const savedKeys = new Map<string, Set<number>>();
    for (const saved of record.saved) {
      const key = `${saved.fileUUID}@${saved.version}`;
      const epochs = savedKeys.get(key) ?? new Set<number>();
      c.check(
        4,
        !epochs.has(saved.epoch),
        () =>
          `${device.name}: ${short(saved.fileUUID)} v${saved.version} handed to saveDownload twice by the same client`,
      );
      c.check(
        4,
        saved.bytesSha256 === saved.sha256,
        () =>
          `${device.name}: saveDownload of ${short(saved.fileUUID)} v${saved.version} handed bytes of sha ${short(saved.bytesSha256)}, announced ${short(saved.sha256)}`,
      );
      epochs.add(saved.epoch);
      savedKeys.set(key, epochs);
    }
    const completeKeys = record.singleDownloadComplete.map((event) => `${event.fileUUID}@${event.version}`);
    c.check(
      4,
      new Set(completeKeys).size === completeKeys.length,
      () => `${device.name}: a singleDownloadComplete came twice (${completeKeys.join(", ")})`,
    );
    c.check(
      4,
      JSON.stringify([...savedKeys.keys()].sort()) === JSON.stringify([...new Set(completeKeys)].sort()),
      () =>
        `${device.name}: downloads saved [${[...savedKeys.keys()].map(short).join(", ")}] but singleDownloadComplete for [${completeKeys.map(short).join(", ")}]`,
    );
    const deletedKeys = new Map<string, Set<number>>();
    for (const deleted of record.deleted) {
      const key = `${deleted.fileUUID}@${deleted.version}`;
      const epochs = deletedKeys.get(key) ?? new Set<number>();
      c.check(
        4,
        !epochs.has(deleted.epoch),
        () =>
          `${device.name}: deletion of ${short(deleted.fileUUID)} v${deleted.version} handed to applyDeletions twice by the same client`,
      );
      epochs.add(deleted.epoch);
      deletedKeys.set(key, epochs);
    }
    const deletedFiles = [...new Set(record.deleted.map((deleted) => deleted.fileUUID))].sort();
    c.check(
      4,
      JSON.stringify(deletedFiles) === JSON.stringify([...new Set(record.deletionsApplied)].sort()),
      () =>
        `${device.name}: applyDeletions got [${deletedFiles.map(short).join(", ")}], deletionsApplied told [${record.deletionsApplied.map(short).join(", ")}]`,
    );
    const uploadKeys = record.singleUploadComplete.map((event) => `${event.batch}/${event.fileUUID}`);
    c.check(
      4,
      new Set(uploadKeys).size === uploadKeys.length,
      () => `${device.name}: a singleUploadComplete came twice for one change`,
    );
  }

  // 5. Versions: each upload made one new version, none made twice, none skipped; the user's server state is at rest.
  const versionsOf = new Map<string, Map<number, string>>();
  // A change confirmed as found on the server made no version (another upload did, maybe this device's own in a batch
  // applied in part): it counts for no version made twice, only as a version the index has.
  const foundOnServer = new Map<string, Set<number>>();
  for (const device of devices) {
    for (const event of device.record.singleUploadComplete) {
      if (event.kind === "upload" && event.alreadyOnServer)
        foundOnServer.set(event.fileUUID, (foundOnServer.get(event.fileUUID) ?? new Set()).add(event.version));
      if (event.kind !== "upload" || event.alreadyOnServer) continue;
      const versions = versionsOf.get(event.fileUUID) ?? new Map<number, string>();
      const by = `${device.name} batch ${event.batch}`;
      const earlier = versions.get(event.version);
      c.check(
        5,
        earlier === undefined,
        () => `${u} ${short(event.fileUUID)} v${event.version} made twice: by ${earlier} and ${by}`,
      );
      versions.set(event.version, by);
      versionsOf.set(event.fileUUID, versions);
    }
  }
  for (const [fileUUID, made] of versionsOf) {
    const entry = index.get(fileUUID);
    const versions = new Set([...made.keys(), ...(foundOnServer.get(fileUUID) ?? [])]);
    const max = Math.max(...versions);
    c.check(
      5,
      entry !== undefined && entry.version === max,
      () =>
        `${u} ${short(fileUUID)}: uploads made up to v${max}, the index has ${entry ? `v${entry.version}` : "no entry"}`,
    );
    for (let version = 0; version <= max; version++)
      c.check(
        5,
        versions.has(version),
        () =>
          `${u} ${short(fileUUID)}: v${version} missing among the versions uploads made or found (${[...versions].join(", ")})`,
      );
  }
  const lock = await db.lock.findUnique({ where: { userId } });
  const lockFree = !lock || !lock.holderDeviceId || (lock.expiresAt !== null && lock.expiresAt.getTime() <= Date.now());
  c.check(
    5,
    lockFree && !lock?.operationId,
    () =>
      `${u}: the lock is held by ${lock?.holderDeviceId} until ${lock?.expiresAt?.toISOString()} (operation ${lock?.operationId})`,
  );
  const operations = await db.operation.findMany({ where: { userId }, select: { id: true, state: true, kind: true } });
  for (const operation of operations)
    c.check(
      5,
      operation.state === "SUCCEEDED" || operation.state === "FAILED",
      () => `${u}: ${operation.kind} operation ${short(operation.id)} is ${operation.state}`,
    );
  for (const device of devices) {
    const left = await workLeftInStore(device.store);
    for (const collection of workCollections) {
      const keys = left.records[collection] ?? [];
      c.check(5, keys.length === 0, () => `${device.name}: ${keys.length} record(s) left in ${collection}`);
    }
    c.check(
      5,
      left.engineState.length === 0,
      () => `${device.name}: engine state left in meta: ${left.engineState.join(", ")}`,
    );
    c.check(5, device.client.mode === "idle", () => `${device.name}: mode ${device.client.mode} at the end`);
  }

  // 6. Only this user's files, in its index, its cloud and its devices' apps.
  const foreign = (fileUUID: string) => context.ownerOf.get(fileUUID) !== userIndex;
  for (const row of rows)
    c.check(
      6,
      !foreign(row.fileUUID),
      () => `${u}'s index holds ${short(row.fileUUID)}, a file of user ${context.ownerOf.get(row.fileUUID)}`,
    );
  for (const object of cloud)
    c.check(
      6,
      !foreign(object.fileUUID),
      () => `${u}'s cloud holds ${short(object.fileUUID)}, a file of user ${context.ownerOf.get(object.fileUUID)}`,
    );
  for (const device of devices) {
    for (const saved of device.record.saved)
      c.check(
        6,
        !foreign(saved.fileUUID),
        () =>
          `${device.name} was handed ${short(saved.fileUUID)}, a file of user ${context.ownerOf.get(saved.fileUUID)}`,
      );
    for (const deleted of device.record.deleted)
      c.check(
        6,
        !foreign(deleted.fileUUID),
        () =>
          `${device.name} was told to delete ${short(deleted.fileUUID)}, a file of user ${context.ownerOf.get(deleted.fileUUID)}`,
      );
  }
}
