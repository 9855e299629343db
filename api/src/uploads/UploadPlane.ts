// The byte plane for uploads: tus 1.0 (core, creation, termination,
// expiration) through @tus/server, with smsync's rules in its extension
// points, one file each:
// - the store (CheckingFileStore): a full disk answered as such, every
//   answer durable, and the last-byte check run by the write that brings
//   the last byte (LastByteCheck.ts says where else it runs, and why);
// - hooks/onUploadCreate (POST): the lock, the file index rules, the row;
// - hooks/onIncomingOwnedRequest (HEAD, GET): only the owner;
// - hooks/onIncomingWrite (PATCH): only the owner, under the lock grant the
//   upload was created under;
// - hooks/onIncomingTermination (DELETE): the same, row first;
// - hooks/onUploadFinish: answers the checked sha256;
// - hooks/onResponseError: every error answer a JSON body {code, message};
//   JsonErrorTusServer: tus's own refusals too;
// - repeatedCreation: a creation repeated for an upload the server has is
//   answered with it (tus would create another).
import type { IncomingMessage, ServerResponse } from "node:http";
import { isOriginAllowed } from "../http/cors.ts";
import { publicBaseUrl } from "../http/publicBaseUrl.ts";
import type { Services } from "../services.ts";
import { CheckingFileStore } from "./CheckingFileStore.ts";
import { onIncomingOwnedRequest } from "./hooks/onIncomingOwnedRequest.ts";
import { onIncomingTermination } from "./hooks/onIncomingTermination.ts";
import { onIncomingWrite } from "./hooks/onIncomingWrite.ts";
import { onResponseError } from "./hooks/onResponseError.ts";
import { onUploadCreate } from "./hooks/onUploadCreate.ts";
import { onUploadFinish } from "./hooks/onUploadFinish.ts";
import type { LastByteCheck } from "./LastByteCheck.ts";
import { JsonErrorTusServer } from "./JsonErrorTusServer.ts";
import { RepeatedCreation } from "./repeatedCreation.ts";

export const uploadsPath = "/uploads";

/** The Node request under the web Request tus hands its hooks: handle() gives tus Node requests only. */
function nodeRequestOf(request: Request): IncomingMessage {
  // srvx, which tus wraps Node requests with, keeps the original there.
  const node = (request as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
  if (!node) throw new Error("tus handed a request without its Node request");
  return node;
}

export class UploadPlane {
  readonly tus: JsonErrorTusServer;
  private readonly repeatedCreation: RepeatedCreation;

  constructor(services: Services, lastByteCheck: LastByteCheck) {
    const { config, staging, db, logger } = services;
    const store = new CheckingFileStore({
      directory: staging.uploadsDir,
      expirationPeriodInMilliseconds: config.uploadExpirySeconds * 1000,
      forgetFailedCreation: async (uploadId) => {
        await db.$transaction((tx) => tx.stagedUpload.deleteMany({ where: { id: uploadId, operationId: null } }));
      },
      checkReceivedUpload: (uploadId, receivedSha256) => lastByteCheck.run(uploadId, receivedSha256),
    });
    this.tus = new JsonErrorTusServer({
      path: uploadsPath,
      datastore: store,
      maxSize: config.maxUploadBytes,
      respectForwardedHeaders: false,
      // CORS (SMSYNC_CORS_ORIGINS): tus exposes Location, Upload-Offset, Upload-Length and Tus-Resumable itself.
      allowedOrigins: (origin) => isOriginAllowed(config.corsOrigins, origin),
      disableTerminationForFinishedUploads: true,
      generateUrl: (req, { path, id }) => `${publicBaseUrl(config.publicUrl, nodeRequestOf(req))}${path}/${id}`,
      // Every request that names an upload (HEAD, GET) comes from its owner.
      onIncomingRequest: onIncomingOwnedRequest(services),
      onUploadCreate: onUploadCreate(services),
      onUploadFinish: onUploadFinish(lastByteCheck),
      onResponseError: onResponseError(logger),
    });
    // tus builds one handler per method (server.handlers), all sharing one
    // options object; the methods with other rules get their own copy, so no
    // hook has to tell methods apart. A creation's id is new: onUploadCreate
    // authenticates it.
    const { handlers, options } = this.tus;
    handlers.POST.options = { ...handlers.POST.options, onIncomingRequest: undefined };
    handlers.PATCH.options = { ...options, onIncomingRequest: onIncomingWrite(services) };
    handlers.DELETE.options = { ...options, onIncomingRequest: onIncomingTermination(services, store) };
    this.repeatedCreation = new RepeatedCreation(services, store, uploadsPath);
  }

  /** Node entry point: answers a repeated creation itself, hands the rest to tus. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await this.repeatedCreation.answer(req, res)) return;
    await this.tus.handle(req, res);
  }
}
