// tus's onUploadCreate (POST): the creation must come under the caller's
// idle lock grant, pass the file index rules and fit the user's staging
// quota; it records the StagedUpload row, replacing an uncommitted upload of
// the same version with other content. tus creates the file only after.
import type { Upload } from "@tus/utils";
import { SmsyncError } from "../../errors/SmsyncError.ts";
import { checkUploadAgainstIndex } from "../../fileIndex/fileIndex.ts";
import { requireIdleLock } from "../../locks/locks.ts";
import type { Services } from "../../services.ts";
import { requireStagingRoom } from "../../staging/stagingQuota.ts";
import { parseUploadMetadataHeader } from "../uploadMetadata.ts";
import { requireCaller } from "./uploadCaller.ts";

export function onUploadCreate(services: Services) {
  return async (req: Request, upload: Upload): Promise<Record<string, never>> => {
    const caller = await requireCaller(services, req.headers.get("authorization"));
    if (upload.size === undefined) {
      throw new SmsyncError("BAD_INPUT", "Upload-Length is required (deferred length is not supported)");
    }
    const size = upload.size;
    const metadata = parseUploadMetadataHeader(req.headers.get("upload-metadata"));
    const replaced = await services.db.$transaction(async (tx) => {
      await requireIdleLock(tx, caller, metadata.fencingToken);
      await checkUploadAgainstIndex(tx, { userId: caller.userId, fencingToken: metadata.fencingToken }, metadata);
      const key = { userId: caller.userId, fileUUID: metadata.fileUUID, version: metadata.version };
      const previous = await tx.stagedUpload.findUnique({ where: { userId_fileUUID_version: key } });
      if (previous?.operationId) {
        throw new SmsyncError(
          "WRONG_VERSION",
          `version ${metadata.version} of ${metadata.fileUUID} is committed already`,
        );
      }
      await requireStagingRoom(tx, caller.userId, services.config.stagingQuotaBytes, [{ ...key, size }]);
      if (previous) await tx.stagedUpload.delete({ where: { id: previous.id } });
      await tx.stagedUpload.create({
        data: {
          id: upload.id,
          ...key,
          deviceId: caller.deviceId,
          sha256: metadata.sha256,
          cloudFileName: metadata.cloudFileName,
          mimeType: metadata.mimeType,
          appMetaData: metadata.appMetaData,
          size: BigInt(size),
          undelete: metadata.undelete,
          fencingToken: metadata.fencingToken,
          state: "UPLOADING",
          // The age the sweeper expires it by, on the server's clock.
          createdAt: services.clock.now(),
        },
      });
      return previous;
    });
    if (replaced) services.staging.removeUpload(replaced.id);
    services.logger.info(
      { userId: caller.userId, uploadId: upload.id, fileUUID: metadata.fileUUID, version: metadata.version, size },
      "upload created",
    );
    return {};
  };
}
