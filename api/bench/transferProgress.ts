// Following a transfer to its end over the transferProgress subscription
// (graphql-ws), as the SDK does: the commit benches time commit -> SUCCEEDED
// to the arrival of the event.
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { Schema } from "@smsync/testkit";

const transferProgress = `subscription($id: ID!) {
  transferProgress(operationId: $id) { seq type state filesDone filesTotal errorCode errorMessage }
}`;
type ProgressEvent = Pick<
  Schema.TransferEvent,
  "seq" | "type" | "state" | "filesDone" | "filesTotal" | "errorCode" | "errorMessage"
>;

export async function connect(url: string, token: string): Promise<Client> {
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const connected = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const client = createClient({
    url: `${url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: (error) => settle.reject(error),
  });
  client.on("connected", () => settle.resolve());
  await connected;
  return client;
}

/** Resolves at the moment the SUCCEEDED (or FAILED) event arrives. */
export function followUntilEnded(
  client: Client,
  operationId: string,
  timeoutMs: number,
): Promise<{ state: string; at: number; event: ProgressEvent }> {
  return new Promise((resolve, reject) => {
    let ended = false;
    const timer = setTimeout(() => {
      dispose();
      reject(new Error(`operation ${operationId} did not end within ${timeoutMs} ms`));
    }, timeoutMs);
    const dispose = client.subscribe<{ transferProgress: ProgressEvent }>(
      { query: transferProgress, variables: { id: operationId } },
      {
        next: (result) => {
          const at = performance.now();
          if (result.errors?.length) {
            clearTimeout(timer);
            reject(new Error(`transferProgress: ${JSON.stringify(result.errors)}`));
            return;
          }
          const event = result.data?.transferProgress;
          if (
            event?.type === "OPERATION_STATE" &&
            (event.state === "SUCCEEDED" || event.state === "FAILED") &&
            !ended
          ) {
            ended = true;
            clearTimeout(timer);
            resolve({ state: event.state, at, event });
          }
        },
        error: (error) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(`transferProgress: ${JSON.stringify(error)}`));
        },
        complete: () => {
          if (ended) return;
          clearTimeout(timer);
          reject(new Error(`transferProgress of ${operationId} completed without an end state`));
        },
      },
    );
  });
}
