// What a running transfer knows: the operation, its claim, and which step it
// is in (recorded as the failed phase if the step fails).
import type { Services } from "../services.ts";

export type OperationRow = NonNullable<Awaited<ReturnType<Services["db"]["operation"]["findUnique"]>>>;

export interface TransferContext {
  services: Services;
  operation: OperationRow;
  workerId: string;
  signal: AbortSignal;
  phase: string;
}

export class TransferStoppedError extends Error {
  override name = "TransferStoppedError";
}

export function checkNotStopped(context: TransferContext): void {
  if (context.signal.aborted) throw new TransferStoppedError("the worker is stopping");
}
