// The app's changes before commit (the seed's uploadsBeingPrepared queue),
// and commit, which closes them into a batch of committedUploads.
//
// Rules, each checked before anything is queued (misuse throws at once):
// - a newer upload of a fileUUID replaces the older one;
// - upload then delete keeps the delete (or, for a file the server has
//   never had, just drops the upload: there is nothing to delete);
// - deleting a file that is neither known nor queued is UNKNOWN_FILE;
// - a cloud name must meet the rules the server applies (@smsync/protocol):
//   BAD_INPUT otherwise; it is queued in the form the server stores (NFC);
// - a cloud name that another live file has, or will have once the pending
//   changes are uploaded, is CLOUD_NAME_TAKEN; names are compared as the
//   server compares them (NFC, case folded), so "Report.txt" takes
//   "report.txt" too;
// - uploading a file that is deleted, or whose deletion is queued, is
//   FILE_DELETED (undeleting is explicit, and not in this SDK yet).
//
// A group of uploads (queueUploads) is checked against one read of the store
// and queued in one commit, all or nothing: a folder of a thousand files is
// one read and one fsync, not a thousand of each.
import { checkCloudFileName, CloudFileNameIndex } from "@smsync/protocol";
import type { ClientStore, StoreChange } from "../store/ClientStore.ts";
import { sequenceKey } from "../store/ClientStore.ts";
import { ClientUsageError } from "./ClientUsageError.ts";
import type { CommittedBatch, LocalFile, PreparedChange, PreparedUpload } from "./records.ts";

const nextBatchKey = "nextBatch";

/** The file as the app sees it now: its prepared change if any, else what the store knows. */
async function currentState(store: ClientStore, fileUUID: string) {
  const [local, prepared] = await Promise.all([
    store.get("files", fileUUID),
    store.get("uploadsBeingPrepared", fileUUID),
  ]);
  return { local, prepared };
}

/** Queues the upload; resolves with it as queued, its cloud file name in the form the server stores. */
export async function queueUpload(store: ClientStore, upload: PreparedUpload): Promise<PreparedUpload> {
  const [queued] = await queueUploads(store, [upload]);
  return queued!;
}

/**
 * Queues a group of uploads in one store commit, all or nothing: the rules
 * are checked for the whole group against one read of the store, each entry
 * also against the entries before it (of two entries with the same name, the
 * later one is refused). The first entry refused throws a ClientUsageError
 * naming it (`fileUUID`), and nothing of the group is queued.
 */
export async function queueUploads(store: ClientStore, uploads: readonly PreparedUpload[]): Promise<PreparedUpload[]> {
  const queued = await checkUploads(store, uploads);
  if (queued.length === 0) return queued;
  await store.commit(
    queued.map((upload): StoreChange => ({
      op: "put",
      collection: "uploadsBeingPrepared",
      key: upload.fileUUID,
      value: upload,
    })),
  );
  return queued;
}

/** What a rule of queueUploads needs of an upload. */
export type UploadName = Pick<PreparedUpload, "fileUUID" | "cloudFileName">;

/**
 * The checks of queueUploads without queueing (e.g. before copying a group's
 * bytes): the uploads with their names in the form the server stores, or a
 * ClientUsageError naming the first one refused.
 */
export async function checkUploads<U extends UploadName>(store: ClientStore, uploads: readonly U[]): Promise<U[]> {
  const checked = checkUploadNames(uploads);
  if (checked.length === 0) return checked;
  const [files, uploading, batches, preparedEntries] = await Promise.all([
    store.list("files"),
    store.list("beingUploaded"),
    committedBatches(store),
    store.list("uploadsBeingPrepared"),
  ]);
  const names = liveNamesBeforeNextBatch(
    files.map(({ value }) => value),
    [...uploading.map(({ value }) => value.change), ...batches.flatMap((batch) => batch.changes)],
  );
  const deleted = new Set(files.flatMap(({ value }) => (value.deleted ? [value.fileUUID] : [])));
  const prepared = new Map(preparedEntries.map(({ value }) => [value.fileUUID, value]));
  const inGroup = new Set(checked.map((upload) => upload.fileUUID));
  const taken = new CloudFileNameIndex<UploadName>(
    [...names].map(([fileUUID, cloudFileName]) => ({ fileUUID, cloudFileName })),
  );
  // A prepared upload of a file in the group is replaced by the group's: its name no longer counts.
  for (const change of prepared.values())
    if (change.kind === "upload" && !inGroup.has(change.fileUUID)) taken.add(change);
  for (const upload of checked) {
    if (prepared.get(upload.fileUUID)?.kind === "delete" || deleted.has(upload.fileUUID)) {
      throw new ClientUsageError(
        "FILE_DELETED",
        `file ${upload.fileUUID} is deleted; it cannot be uploaded again`,
        refused(upload),
      );
    }
    const owner = taken.owner(upload.fileUUID, upload.cloudFileName, names.get(upload.fileUUID));
    if (owner) {
      throw new ClientUsageError(
        "CLOUD_NAME_TAKEN",
        `cloud file name ${JSON.stringify(upload.cloudFileName)} is taken by file ${owner.fileUUID} (${JSON.stringify(owner.cloudFileName)}): names that differ only in case or Unicode normalization are the same name; a name freed by a deletion or a rename can be used once that change is committed`,
        refused(upload),
      );
    }
    taken.add(upload);
  }
  return checked;
}

function refused(upload: UploadName) {
  return { fileUUID: upload.fileUUID };
}

/**
 * The store-free rules of a group: each cloud name valid (BAD_INPUT
 * otherwise; returned in the form the server stores, NFC), each file once.
 */
function checkUploadNames<U extends UploadName>(uploads: readonly U[]): U[] {
  const seen = new Set<string>();
  return uploads.map((upload) => {
    const checked = checkCloudFileName(upload.cloudFileName);
    if (!checked.ok)
      throw new ClientUsageError(
        "BAD_INPUT",
        `cloudFileName ${JSON.stringify(upload.cloudFileName)} ${checked.problem}`,
        refused(upload),
      );
    if (seen.has(upload.fileUUID))
      throw new ClientUsageError("BAD_INPUT", `file ${upload.fileUUID} is twice in one group`, refused(upload));
    seen.add(upload.fileUUID);
    return { ...upload, cloudFileName: checked.name };
  });
}

export async function queueDeletion(store: ClientStore, fileUUID: string, now = new Date()): Promise<void> {
  const { local, prepared } = await currentState(store, fileUUID);
  if (prepared?.kind === "delete" || local?.deleted) {
    throw new ClientUsageError("ALREADY_DELETED", `file ${fileUUID} is already deleted`);
  }
  // A file whose upload is committed (not yet confirmed) will be on the server: its deletion must go up after it.
  const onServer = (local !== undefined && local.version !== null) || (await uploadCommitted(store, fileUUID));
  if (!onServer && !prepared)
    throw new ClientUsageError("UNKNOWN_FILE", `file ${fileUUID} is not known to this client`);
  const change: StoreChange = onServer
    ? {
        op: "put",
        collection: "uploadsBeingPrepared",
        key: fileUUID,
        value: { kind: "delete", fileUUID, queuedAt: now.toISOString() },
      }
    : { op: "delete", collection: "uploadsBeingPrepared", key: fileUUID };
  await store.commit([change]);
}

/** An upload of the file is in a committed batch, or being uploaded. */
async function uploadCommitted(store: ClientStore, fileUUID: string): Promise<boolean> {
  const [batches, uploading] = await Promise.all([
    store.list("committedUploads"),
    store.get("beingUploaded", fileUUID),
  ]);
  return (
    uploading?.change.kind === "upload" ||
    batches.some(({ value }) =>
      value.changes.some((change) => change.fileUUID === fileUUID && change.kind === "upload"),
    )
  );
}

/**
 * The name of each live file once the batches before the next one are
 * uploaded: what the server confirmed, then the batch being uploaded and the
 * committed batches, oldest first. The prepared changes go up in the next
 * batch, whose uploads the server checks before its deletions are applied.
 */
function liveNamesBeforeNextBatch(files: LocalFile[], changesBefore: PreparedChange[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const file of files) if (!file.deleted) names.set(file.fileUUID, file.cloudFileName);
  for (const change of changesBefore) {
    if (change.kind === "upload") names.set(change.fileUUID, change.cloudFileName);
    else names.delete(change.fileUUID);
  }
  return names;
}

/**
 * Closes the prepared changes into the next committed batch, in one store
 * commit. Returns the batch, or null when nothing was prepared (an empty
 * commit does nothing).
 */
export async function commitPrepared(store: ClientStore, now = new Date()): Promise<CommittedBatch | null> {
  const prepared = await store.list("uploadsBeingPrepared");
  if (prepared.length === 0) return null;
  const batch = (await store.get("meta", nextBatchKey)) ?? 1;
  const committed: CommittedBatch = {
    batch,
    changes: prepared.map((entry) => entry.value),
    committedAt: now.toISOString(),
  };
  await store.commit([
    { op: "put", collection: "committedUploads", key: sequenceKey(batch), value: committed },
    { op: "put", collection: "meta", key: nextBatchKey, value: batch + 1 },
    { op: "clear", collection: "uploadsBeingPrepared" },
  ]);
  return committed;
}

/** The committed batches waiting, oldest first. */
export async function committedBatches(store: ClientStore): Promise<CommittedBatch[]> {
  return (await store.list("committedUploads")).map((entry) => entry.value);
}
