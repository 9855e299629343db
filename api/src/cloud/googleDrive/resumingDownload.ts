// A download (alt=media) that survives cuts: when the connection drops in
// the middle of the body (or the body ends short of its Content-Length),
// the rest is asked for with `Range: bytes=<received>-`, so bytes already
// passed on are never fetched again. A cut is a "transient" failure; the
// cuts in a row without a byte between them are bounded by the retry
// policy's attempts, with its backoff between them, and any progress starts
// the count again: a long file on a flaky link gets through as long as each
// try brings bytes. When the tries run out the stream fails as "transient".
import { Readable } from "node:stream";
import { CloudStorageError } from "../CloudStorageError.ts";
import { toDriveFailure } from "./driveFailures.ts";
import { backoffDelay, retriedInRequest, type RetryPolicy } from "./retryPolicy.ts";

export interface ByteRange {
  start: number;
  end?: number;
}

export interface DownloadAnswer {
  body: Readable;
  /** Content-Length of the answer, when Drive sent one. */
  length?: number;
  /** 206 for a range served; 200 for the whole content (a Range that was not honoured). */
  status: number;
}

/**
 * Opens the download (a failure to open, such as a 404, rejects here, as
 * before any byte) and returns its content as one stream across cuts.
 */
export async function resumingDownload(
  open: (range: ByteRange | undefined) => Promise<DownloadAnswer>,
  range: ByteRange | undefined,
  policy: RetryPolicy,
  what: string,
): Promise<Readable> {
  const first = await open(range);
  const start = range?.start ?? 0;
  async function* content(): AsyncGenerator<Buffer> {
    let answer = first;
    let received = 0;
    let cutsInARow = 0;
    let from = start;
    for (;;) {
      let answerBytes = 0;
      // A range asked for and answered whole: the bytes before it are skipped, not passed on twice.
      let skip = answer.status === 200 ? from : 0;
      try {
        for await (const whole of answer.body as AsyncIterable<Buffer>) {
          answerBytes += whole.length;
          const chunk = skip > 0 ? whole.subarray(Math.min(skip, whole.length)) : whole;
          skip -= whole.length - chunk.length;
          if (chunk.length === 0) continue;
          received += chunk.length;
          cutsInARow = 0;
          yield chunk;
        }
        if (answer.length === undefined || answerBytes >= answer.length) return;
        throw new CloudStorageError(
          "transient",
          `${what}: the answer ended after ${answerBytes} of ${answer.length} bytes`,
        );
      } catch (error) {
        const failure = await toDriveFailure(`${what}: the download was cut after ${received} bytes`, error);
        const cut =
          failure.kind === "transient"
            ? failure
            : new CloudStorageError("transient", failure.message, { cause: failure });
        if (!retriedInRequest(failure) || ++cutsInARow >= policy.maxAttempts) throw cut;
        await policy.sleep(backoffDelay(policy, cutsInARow, failure.retryAfterMs));
        from = start + received;
        answer = await open({ start: from, end: range?.end });
      }
    }
  }
  return Readable.from(content(), { objectMode: false });
}
