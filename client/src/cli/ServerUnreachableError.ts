// `smsync sync` could not reach the server (at all, or for longer than it
// keeps retrying): what was done is in the summary, what is still to do in
// `pending`. The folder's queues keep it, so the next `smsync sync` goes on.
import type { PendingWork } from "../ClientBase.ts";
import type { SyncSummary } from "./syncSummary.ts";

export class ServerUnreachableError extends Error {
  override name = "ServerUnreachableError";
  readonly code = "SERVER_UNREACHABLE";

  constructor(
    readonly server: string,
    readonly summary: SyncSummary,
    readonly pending: PendingWork,
    options?: { cause?: unknown },
  ) {
    const cause = options?.cause instanceof Error ? ` (${options.cause.message})` : "";
    super(
      `the server at ${server} could not be reached${cause}; not synced: ${pending.uploads} upload(s), ` +
        `${pending.deletions} deletion(s) and ${pending.downloads} download(s) pending; run smsync sync again`,
      options,
    );
  }
}
