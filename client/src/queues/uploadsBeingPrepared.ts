// The app's changes before commit (the seed's uploadsBeingPrepared queue),
// and commit, which closes them into a batch of committedUploads.
//
// Rules, each checked before anything is queued (misuse throws at once):
// - a newer upload of a fileUUID replaces the older one;
// - upload then delete keeps the delete (or, for a file the server has
//   never had, just drops the upload: there is nothing to delete);
// - deleting a file that is neither known nor queued is UNKNOWN_FILE;
// - a cloud name used by another live file is CLOUD_NAME_TAKEN;
// - uploading a file that is deleted, or whose deletion is queued, is
//   FILE_DELETED (undeleting is explicit, and not in this SDK yet).
import type { ClientStore, StoreChange } from "../store/ClientStore.ts";
import { sequenceKey } from "../store/ClientStore.ts";
import { ClientUsageError } from "./ClientUsageError.ts";
import type { CommittedBatch, LocalFile, PreparedChange, PreparedUpload } from "./records.ts";

const nextBatchKey = "nextBatch";

async function preparedChanges(store: ClientStore): Promise<Map<string, PreparedChange>> {
  return new Map((await store.list<PreparedChange>("uploadsBeingPrepared")).map((entry) => [entry.key, entry.value]));
}

/** The file as the app sees it now: its prepared change if any, else what the store knows. */
async function currentState(store: ClientStore, fileUUID: string) {
  const [local, prepared] = await Promise.all([
    store.get<LocalFile>("files", fileUUID),
    store.get<PreparedChange>("uploadsBeingPrepared", fileUUID),
  ]);
  return { local, prepared };
}

export async function queueUpload(store: ClientStore, upload: PreparedUpload): Promise<void> {
  const { local, prepared } = await currentState(store, upload.fileUUID);
  if (prepared?.kind === "delete" || local?.deleted) {
    throw new ClientUsageError("FILE_DELETED", `file ${upload.fileUUID} is deleted; it cannot be uploaded again`);
  }
  await checkCloudNameFree(store, upload.fileUUID, upload.cloudFileName);
  await store.commit([{ op: "put", collection: "uploadsBeingPrepared", key: upload.fileUUID, value: upload }]);
}

export async function queueDeletion(store: ClientStore, fileUUID: string, now = new Date()): Promise<void> {
  const { local, prepared } = await currentState(store, fileUUID);
  if (prepared?.kind === "delete" || local?.deleted) {
    throw new ClientUsageError("ALREADY_DELETED", `file ${fileUUID} is already deleted`);
  }
  // A file whose upload is committed (not yet confirmed) will be on the server: its deletion must go up after it.
  const onServer = (local !== undefined && local.version !== null) || (await uploadCommitted(store, fileUUID));
  if (!onServer && !prepared) throw new ClientUsageError("UNKNOWN_FILE", `file ${fileUUID} is not known to this client`);
  const change: StoreChange = onServer
    ? { op: "put", collection: "uploadsBeingPrepared", key: fileUUID, value: { kind: "delete", fileUUID, queuedAt: now.toISOString() } }
    : { op: "delete", collection: "uploadsBeingPrepared", key: fileUUID };
  await store.commit([change]);
}

/** An upload of the file is in a committed batch, or being uploaded. */
async function uploadCommitted(store: ClientStore, fileUUID: string): Promise<boolean> {
  const [batches, uploading] = await Promise.all([store.list<CommittedBatch>("committedUploads"), store.get<{ change: PreparedChange }>("beingUploaded", fileUUID)]);
  return uploading?.change.kind === "upload" || batches.some(({ value }) => value.changes.some((change) => change.fileUUID === fileUUID && change.kind === "upload"));
}

async function checkCloudNameFree(store: ClientStore, fileUUID: string, cloudFileName: string): Promise<void> {
  const [files, prepared] = await Promise.all([store.list<LocalFile>("files"), preparedChanges(store)]);
  const deletedSoon = (uuid: string) => prepared.get(uuid)?.kind === "delete";
  const ownerOnServer = files.find(
    ({ value }) => value.fileUUID !== fileUUID && !value.deleted && !deletedSoon(value.fileUUID) && value.cloudFileName === cloudFileName,
  );
  const ownerPrepared = [...prepared.values()].find(
    (change) => change.kind === "upload" && change.fileUUID !== fileUUID && change.cloudFileName === cloudFileName,
  );
  const owner = ownerOnServer?.value.fileUUID ?? ownerPrepared?.fileUUID;
  if (owner) {
    throw new ClientUsageError("CLOUD_NAME_TAKEN", `cloud file name ${JSON.stringify(cloudFileName)} belongs to file ${owner}`);
  }
}

/**
 * Closes the prepared changes into the next committed batch, in one store
 * commit. Returns the batch, or null when nothing was prepared (an empty
 * commit does nothing).
 */
export async function commitPrepared(store: ClientStore, now = new Date()): Promise<CommittedBatch | null> {
  const prepared = await store.list<PreparedChange>("uploadsBeingPrepared");
  if (prepared.length === 0) return null;
  const batch = (await store.get<number>("meta", nextBatchKey)) ?? 1;
  const committed: CommittedBatch = { batch, changes: prepared.map((entry) => entry.value), committedAt: now.toISOString() };
  await store.commit([
    { op: "put", collection: "committedUploads", key: sequenceKey(batch), value: committed },
    { op: "put", collection: "meta", key: nextBatchKey, value: batch + 1 },
    { op: "clear", collection: "uploadsBeingPrepared" },
  ]);
  return committed;
}

/** The committed batches waiting, oldest first. */
export async function committedBatches(store: ClientStore): Promise<CommittedBatch[]> {
  return (await store.list<CommittedBatch>("committedUploads")).map((entry) => entry.value);
}
