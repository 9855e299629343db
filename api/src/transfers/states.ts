// The states of a transfer (an Operation row) and of each of its files.
//
// Operation:  NOT_STARTED -> IN_PROGRESS -> SUCCEEDED
//                                \-> (retry with backoff, stays IN_PROGRESS)
//                                \-> FAILED --(commit again)--> NOT_STARTED
// Item (one file):
//   UPLOAD:   PENDING --cloud write + index update--> INDEXED --replaced object removed (or owed)--> DONE
//             PENDING --the failed batch given up (a later grant, a reset)--> ABANDONED (abandonedWrites.ts)
//   DELETE:   PENDING --index marked deleted--> INDEXED --cloud object removed (or owed)--> DONE
//   DOWNLOAD: PENDING --copied to staging, sha256 checked--> DONE
export const operationKinds = ["OUTBOUND", "INBOUND"] as const;
export type OperationKind = (typeof operationKinds)[number];

export const operationStates = ["NOT_STARTED", "IN_PROGRESS", "FAILED", "SUCCEEDED"] as const;
export type OperationState = (typeof operationStates)[number];

export const runnableStates: OperationState[] = ["NOT_STARTED", "IN_PROGRESS"];

export const itemActions = ["UPLOAD", "DELETE", "DOWNLOAD"] as const;
export type ItemAction = (typeof itemActions)[number];

export const itemStates = ["PENDING", "INDEXED", "DONE", "ABANDONED"] as const;
export type ItemState = (typeof itemStates)[number];

export function isEnded(state: string): boolean {
  return state === "SUCCEEDED" || state === "FAILED";
}
