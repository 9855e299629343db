// The same generated upload through tus-js-client, with a Node stream as the
// source (tus-js-client then needs a finite chunkSize and holds one chunk in
// memory for a possible retry).
import { randomUUID } from "node:crypto";
import * as tus from "tus-js-client";
import { contentStream } from "./content.ts";
import { generatedMetadata, type GeneratedUpload, type TusTarget } from "./tusRaw.ts";

export function tusJsClientUpload(
  target: TusTarget,
  upload: GeneratedUpload,
): Promise<{ uploadId: string; fileUUID: string }> {
  if (!Number.isFinite(upload.chunkBytes))
    throw new Error("tus-js-client needs a finite chunk size for a stream source");
  const fileUUID = randomUUID();
  return new Promise((resolve, reject) => {
    const client = new tus.Upload(contentStream(upload.size, 0, upload.size, upload.onProgress), {
      endpoint: `${target.baseUrl}/uploads`,
      headers: { authorization: `Bearer ${target.token}` },
      metadata: generatedMetadata(fileUUID, upload),
      uploadSize: upload.size,
      chunkSize: upload.chunkBytes,
      retryDelays: [],
      storeFingerprintForResuming: false,
      onError: reject,
      onSuccess: () => resolve({ uploadId: client.url!.split("/").pop()!, fileUUID }),
    });
    client.start();
  });
}
