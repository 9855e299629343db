// A staged download in a browser: fetched whole with the device token, its
// sha256 checked with Web Crypto, and handed over as a Blob. The whole file
// is held in memory (about twice its size while it is hashed: Web Crypto has
// no incremental digest), and a cut download starts again from byte 0 on the
// engine's next try; no partial bytes are kept across a reload.
import { IntegrityError, NetworkError, SmsyncClientError, abortReason } from "../errors.ts";
import type { DownloadRequest } from "../platform/EnginePlatform.ts";
import { sha256Hex } from "../platform/bytes.ts";
import { serverErrorFromResponse } from "../transfers/httpErrors.ts";

/** The verified bytes of a staged download. ServerError for the server's refusals, NetworkError for a failed connection, IntegrityError for other bytes. */
export async function downloadBlob(request: DownloadRequest): Promise<{ blob: Blob; size: number }> {
  const { signal, url } = request;
  const what = `download of ${url}`;
  const expected = request.expectedSha256.toLowerCase();
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${request.token}` }, signal, cache: "no-store" });
  } catch (error) {
    if (signal.aborted) throw abortReason(signal, "The download");
    throw new NetworkError(`${what}: ${(error as Error).message}`, { cause: error });
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    if (response.status !== 200) throw serverErrorFromResponse(response.status, await response.text(), what);
    const announced = response.headers.get("x-smsync-sha256")?.trim().toLowerCase() ?? null;
    if (announced !== null && announced !== expected) {
      await response.body?.cancel();
      throw new IntegrityError(
        `${what}: the server serves content with sha256 ${announced}, not the expected ${expected}`,
      );
    }
    const length = response.headers.get("content-length");
    const total = length === null ? null : Number(length);
    request.onProgress(0, total);
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.byteLength;
      request.onProgress(received, total);
    }
    if (total !== null && received !== total)
      throw new NetworkError(`${what}: the response ended after ${received} of ${total} bytes`);
  } catch (error) {
    if (signal.aborted) throw abortReason(signal, "The download");
    if (error instanceof SmsyncClientError) throw error; // already typed: the server's answer, or bytes that do not match
    throw new NetworkError(`${what}: the connection broke after ${received} bytes: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const blob = new Blob(chunks as BlobPart[], { type: "application/octet-stream" });
  const actual = await sha256Hex(await blob.arrayBuffer());
  if (actual !== expected)
    throw new IntegrityError(`${what}: received content with sha256 ${actual}, not the expected ${expected}`);
  return { blob, size: received };
}
