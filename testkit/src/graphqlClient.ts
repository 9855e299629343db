// A small GraphQL-over-HTTP client for tests, speaking to a real server.
import { randomUUID } from "node:crypto";

export interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphQLResponse<T = any> {
  data?: T | null;
  errors?: GraphQLErrorShape[];
}

export class TestGraphQLClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string | null,
  ) {}

  async request<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse<T>> {
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

  /** The data of a request that must succeed. */
  async ok<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const result = await this.request<T>(query, variables);
    if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data as T;
  }

  /** The error code of a request that must fail. */
  async errorCode(query: string, variables: Record<string, unknown> = {}): Promise<string | undefined> {
    const result = await this.request(query, variables);
    if (!result.errors?.length) throw new Error(`expected an error, got ${JSON.stringify(result.data)}`);
    return result.errors[0].extensions?.code;
  }

  // The protocol's steps, as the client SDK will use them.

  async lock(ttlSeconds?: number): Promise<{ fencingToken: number; expiresAt: string; heldPreviously: boolean }> {
    const data = await this.ok(
      `mutation($key: String!, $ttl: Int) { lock(idempotencyKey: $key, ttlSeconds: $ttl) { fencingToken expiresAt heldPreviously } }`,
      { key: randomUUID(), ttl: ttlSeconds },
    );
    return data.lock;
  }

  async fileIndex(): Promise<{ eventSeq: number; files: any[] }> {
    const data = await this.ok(
      `{ fileIndex { eventSeq files { fileUUID cloudFileName mimeType appMetaData version deleted size sha256 updatedAt } } }`,
    );
    return data.fileIndex;
  }

  async commit(fencingToken: number, key = randomUUID()): Promise<any> {
    const data = await this.ok(
      `mutation($key: String!, $token: Int!) { commit(idempotencyKey: $key, fencingToken: $token) { ${operationFields} } }`,
      { key, token: fencingToken },
    );
    return data.commit;
  }

  async deleteFiles(fencingToken: number, files: { fileUUID: string; version: number }[]): Promise<any> {
    const data = await this.ok(
      `mutation($key: String!, $token: Int!, $files: [FileVersionInput!]!) { deleteFiles(idempotencyKey: $key, fencingToken: $token, files: $files) { fileUUID version } }`,
      { key: randomUUID(), token: fencingToken, files },
    );
    return data.deleteFiles;
  }

  async startInboundTransfer(fencingToken: number, files: { fileUUID: string; version: number }[]): Promise<any> {
    const data = await this.ok(
      `mutation($key: String!, $token: Int!, $files: [FileVersionInput!]!) { startInboundTransfer(idempotencyKey: $key, fencingToken: $token, files: $files) { ${operationFields} } }`,
      { key: randomUUID(), token: fencingToken, files },
    );
    return data.startInboundTransfer;
  }

  async operation(id: string): Promise<any> {
    const data = await this.ok(`query($id: ID!) { operation(id: $id) { ${operationFields} } }`, { id });
    return data.operation;
  }

  /** Polls the operation until it has ended (SUCCEEDED or FAILED). */
  async waitForOperation(id: string, timeoutMs = 30_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const op = await this.operation(id);
      if (op.state === "SUCCEEDED" || op.state === "FAILED") return op;
      if (Date.now() > deadline) throw new Error(`operation ${id} still ${op.state} after ${timeoutMs}ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export const operationFields = `id kind state attempts failedPhase errorCode errorMessage filesTotal filesDone bytesTotal bytesDone
  files { fileUUID version action state size sha256 downloadUrl }`;
