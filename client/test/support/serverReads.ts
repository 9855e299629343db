// What @smsync/testkit's TestGraphQLClient reads of the server, typed as
// these tests use it (its methods answer `any`).
import type { TestGraphQLClient } from "@smsync/testkit";

/** An entry of the server's file index. */
export interface IndexedFile {
  fileUUID: string;
  version: number;
  deleted: boolean;
  sha256: string;
  cloudFileName: string;
  mimeType: string;
  size: number;
  appMetaData: string | null;
}

/** A transfer operation (commit, inbound transfer) as the server reports it. */
export interface ServerOperation {
  id: string;
  state: string;
  files: { fileUUID: string; version: number; downloadUrl?: string | null }[];
}

type Reader = Pick<TestGraphQLClient, "fileIndex">;
type Operator = Pick<TestGraphQLClient, "commit" | "waitForOperation" | "startInboundTransfer">;

export async function indexedFiles(device: Reader): Promise<IndexedFile[]> {
  return (await device.fileIndex()).files;
}

/** The file's entry in the index, if it has one. */
export async function indexEntry(device: Reader, fileUUID: string): Promise<IndexedFile | undefined> {
  return (await indexedFiles(device)).find((file) => file.fileUUID === fileUUID);
}

/** The operation, once it has ended. */
export async function operationEnded(device: Operator, operationId: string): Promise<ServerOperation> {
  return await device.waitForOperation(operationId);
}

/** Commits the batch under the grant: the operation as the commit answered it. */
export async function commitBatch(device: Operator, fencingToken: number): Promise<ServerOperation> {
  return await device.commit(fencingToken);
}

/** Starts an inbound transfer of these files under the grant: the operation as it answered. */
export async function startInbound(
  device: Operator,
  fencingToken: number,
  files: { fileUUID: string; version: number }[],
): Promise<ServerOperation> {
  return await device.startInboundTransfer(fencingToken, files);
}
