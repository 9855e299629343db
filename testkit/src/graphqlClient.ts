// A small GraphQL-over-HTTP client for tests, speaking to a real server.
// Its queries are strings; each method's result is typed as the Pick of the
// schema's types (src/generated/schema.ts, `npm run codegen`) that it selects.
import { randomUUID } from "node:crypto";
import type { FileEntry, FileIndex, LockGrant, Operation, OperationFile, UploadDeletion } from "./generated/schema.ts";

/** The schema's types, to name the shape of what a test's own query selects. */
export type * as Schema from "./generated/schema.ts";

export interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphQLResponse<T = unknown> {
  data?: T | null;
  errors?: GraphQLErrorShape[];
}

/** The fields of `operationFields`. */
export type OperationResult = Pick<
  Operation,
  | "id"
  | "kind"
  | "state"
  | "attempts"
  | "failedPhase"
  | "errorCode"
  | "errorMessage"
  | "filesTotal"
  | "filesDone"
  | "bytesTotal"
  | "bytesDone"
> & {
  files: Pick<OperationFile, "fileUUID" | "version" | "action" | "state" | "size" | "sha256" | "downloadUrl">[];
};

export type LockResult = Pick<LockGrant, "fencingToken" | "expiresAt" | "heldPreviously">;

/** An entry of the file index, as `fileIndex()` selects it. */
export type FileIndexEntry = Pick<
  FileEntry,
  "fileUUID" | "cloudFileName" | "mimeType" | "appMetaData" | "version" | "deleted" | "size" | "sha256" | "updatedAt"
>;

export type FileIndexResult = Pick<FileIndex, "eventSeq"> & { files: FileIndexEntry[] };

export type UploadDeletionResult = Pick<UploadDeletion, "fileUUID" | "version">;

/** A query's text that carries the shape of the data it selects, so `ok` and `request` need no type argument. */
export type TypedQuery<T> = string & { readonly __data?: T };

/** Names the shape of the data a query selects, once, where the query is written. */
export function typedQuery<T>(query: string): TypedQuery<T> {
  return query;
}

export class TestGraphQLClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string | null,
  ) {}

  /** T: the shape of the data the query selects (given by a TypedQuery, or else named by the caller). */
  async request<T = unknown>(
    query: TypedQuery<T>,
    variables: Record<string, unknown> = {},
  ): Promise<GraphQLResponse<T>> {
    const response = await fetch(`${this.baseUrl}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResponse<T>;
  }

  /** The data of a request that must succeed; T: the shape of the data the query selects (as for request). */
  async ok<T = unknown>(query: TypedQuery<T>, variables: Record<string, unknown> = {}): Promise<T> {
    const result = await this.request<T>(query, variables);
    if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data as T;
  }

  /** The error code of a request that must fail. */
  async errorCode(query: string, variables: Record<string, unknown> = {}): Promise<string | undefined> {
    const result = await this.request(query, variables);
    const [error] = result.errors ?? [];
    if (!error) throw new Error(`expected an error, got ${JSON.stringify(result.data)}`);
    return error.extensions?.code;
  }

  // The protocol's steps, as the client SDK will use them.

  async lock(ttlSeconds?: number): Promise<LockResult> {
    const data = await this.ok<{ lock: LockResult }>(
      `mutation($key: String!, $ttl: Int) { lock(idempotencyKey: $key, ttlSeconds: $ttl) { fencingToken expiresAt heldPreviously } }`,
      { key: randomUUID(), ttl: ttlSeconds },
    );
    return data.lock;
  }

  /** Gives the lock back; false when this device did not hold it under that token. */
  async unlock(fencingToken: number): Promise<boolean> {
    const data = await this.ok<{ unlock: boolean }>(
      `mutation($key: String!, $token: Int!) { unlock(idempotencyKey: $key, fencingToken: $token) }`,
      { key: randomUUID(), token: fencingToken },
    );
    return data.unlock;
  }

  async fileIndex(): Promise<FileIndexResult> {
    const data = await this.ok<{ fileIndex: FileIndexResult }>(
      `{ fileIndex { eventSeq files { fileUUID cloudFileName mimeType appMetaData version deleted size sha256 updatedAt } } }`,
    );
    return data.fileIndex;
  }

  async commit(fencingToken: number, key = randomUUID()): Promise<OperationResult> {
    const data = await this.ok<{ commit: OperationResult }>(
      `mutation($key: String!, $token: Int!) { commit(idempotencyKey: $key, fencingToken: $token) { ${operationFields} } }`,
      { key, token: fencingToken },
    );
    return data.commit;
  }

  async deleteFiles(
    fencingToken: number,
    files: { fileUUID: string; version: number }[],
  ): Promise<UploadDeletionResult[]> {
    const data = await this.ok<{ deleteFiles: UploadDeletionResult[] }>(
      `mutation($key: String!, $token: Int!, $files: [FileVersionInput!]!) { deleteFiles(idempotencyKey: $key, fencingToken: $token, files: $files) { fileUUID version } }`,
      { key: randomUUID(), token: fencingToken, files },
    );
    return data.deleteFiles;
  }

  async startInboundTransfer(
    fencingToken: number,
    files: { fileUUID: string; version: number }[],
  ): Promise<OperationResult> {
    const data = await this.ok<{ startInboundTransfer: OperationResult }>(
      `mutation($key: String!, $token: Int!, $files: [FileVersionInput!]!) { startInboundTransfer(idempotencyKey: $key, fencingToken: $token, files: $files) { ${operationFields} } }`,
      { key: randomUUID(), token: fencingToken, files },
    );
    return data.startInboundTransfer;
  }

  /** The operation, or null when the caller's user has none of this id. */
  async operation(id: string): Promise<OperationResult | null> {
    const data = await this.ok<{ operation: OperationResult | null }>(
      `query($id: ID!) { operation(id: $id) { ${operationFields} } }`,
      { id },
    );
    return data.operation;
  }

  /** Polls the operation until it has ended (SUCCEEDED or FAILED). */
  async waitForOperation(id: string, timeoutMs = 30_000): Promise<OperationResult> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const op = await this.operation(id);
      if (!op) throw new Error(`no operation ${id} for this user`);
      if (op.state === "SUCCEEDED" || op.state === "FAILED") return op;
      if (Date.now() > deadline) throw new Error(`operation ${id} still ${op.state} after ${timeoutMs}ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Where to GET a file an inbound transfer staged: `fileUUID`'s, or else the operation's first file's. Throws if it has no URL. */
export function downloadUrlOf(operation: Pick<OperationResult, "id" | "files">, fileUUID?: string): string {
  const file =
    fileUUID === undefined ? operation.files[0] : operation.files.find((candidate) => candidate.fileUUID === fileUUID);
  const url = file?.downloadUrl;
  if (url == null) throw new Error(`operation ${operation.id} has no staged download of ${fileUUID ?? "a first file"}`);
  return url;
}

export const operationFields = `id kind state attempts failedPhase errorCode errorMessage filesTotal filesDone bytesTotal bytesDone
  files { fileUUID version action state size sha256 downloadUrl }`;
