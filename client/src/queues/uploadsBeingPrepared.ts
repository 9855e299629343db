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
import { checkCloudFileName, cloudFileNameOwner } from "@smsync/protocol";
import type { ClientStore, StoreChange } from "../store/ClientStore.ts";
import { sequenceKey } from "../store/ClientStore.ts";
import { ClientUsageError } from "./ClientUsageError.ts";
import type { CommittedBatch, PreparedUpload } from "./records.ts";

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
  const checked = checkCloudFileName(upload.cloudFileName);
  if (!checked.ok)
    throw new ClientUsageError("BAD_INPUT", `cloudFileName ${JSON.stringify(upload.cloudFileName)} ${checked.problem}`);
  const queued = { ...upload, cloudFileName: checked.name };
  const { local, prepared } = await currentState(store, queued.fileUUID);
  if (prepared?.kind === "delete" || local?.deleted) {
    throw new ClientUsageError("FILE_DELETED", `file ${queued.fileUUID} is deleted; it cannot be uploaded again`);
  }
  await checkCloudNameFree(store, queued.fileUUID, queued.cloudFileName);
  await store.commit([{ op: "put", collection: "uploadsBeingPrepared", key: queued.fileUUID, value: queued }]);
  return queued;
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
async function liveNamesBeforeNextBatch(store: ClientStore): Promise<Map<string, string>> {
  const [files, uploading, batches] = await Promise.all([
    store.list("files"),
    store.list("beingUploaded"),
    committedBatches(store),
  ]);
  const names = new Map<string, string>();
  for (const { value } of files) if (!value.deleted) names.set(value.fileUUID, value.cloudFileName);
  for (const change of [...uploading.map(({ value }) => value.change), ...batches.flatMap((batch) => batch.changes)]) {
    if (change.kind === "upload") names.set(change.fileUUID, change.cloudFileName);
    else names.delete(change.fileUUID);
  }
  return names;
}

/**
 * CLOUD_NAME_TAKEN unless the name is free for the next batch: no other file
 * has it once the earlier batches are uploaded, nor is it queued for another
 * file. A deletion or a rename frees a name for the batches after its own.
 */
async function checkCloudNameFree(store: ClientStore, fileUUID: string, cloudFileName: string): Promise<void> {
  const names = await liveNamesBeforeNextBatch(store);
  const prepared = await store.list("uploadsBeingPrepared");
  const liveFiles = [
    ...[...names].map(([uuid, name]) => ({ fileUUID: uuid, cloudFileName: name })),
    ...prepared.flatMap(({ value }) => (value.kind === "upload" ? [value] : [])),
  ];
  const owner = cloudFileNameOwner(fileUUID, cloudFileName, names.get(fileUUID), liveFiles);
  if (owner) {
    throw new ClientUsageError(
      "CLOUD_NAME_TAKEN",
      `cloud file name ${JSON.stringify(cloudFileName)} is taken by file ${owner.fileUUID} (${JSON.stringify(owner.cloudFileName)}): names that differ only in case or Unicode normalization are the same name; a name freed by a deletion or a rename can be used once that change is committed`,
    );
  }
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
