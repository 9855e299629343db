// What the batch routes share: the caller, the framed body read with its
// breaks answered as BAD_INPUT, and every answer a JSON body (errors as
// {code, message, ...} with the status of the byte planes).
import type { IncomingMessage, ServerResponse } from "node:http";
import { FrameError, FramedStreamReader } from "@smsync/protocol";
import type { Caller } from "../auth/deviceTokens.ts";
import { authenticateRequest } from "../auth/requestCaller.ts";
import { badInputIfBroken } from "../errors/brokenWireRule.ts";
import { isFileSystemFull } from "../errors/fileSystemFull.ts";
import { httpStatusOf } from "../errors/httpStatus.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import { plainRouteCors } from "../http/cors.ts";
import type { Services } from "../services.ts";

export async function requireBatchCaller(services: Services, req: IncomingMessage): Promise<Caller> {
  const caller = await authenticateRequest(services, req.headers.authorization);
  if (!caller) throw new SmsyncError("UNAUTHENTICATED", "a valid device token is required (Authorization: Bearer ...)");
  return caller;
}

function badInputIfBrokenFrame(error: unknown): never {
  if (error instanceof FrameError) throw new SmsyncError("BAD_INPUT", error.message);
  throw error;
}

/** The head, parsed by `read`; a broken frame or a broken rule of the head is BAD_INPUT. */
export async function readHead<T>(
  reader: FramedStreamReader,
  maxBytes: number,
  read: (head: unknown) => T,
): Promise<T> {
  const head = await reader.readHead(maxBytes).catch(badInputIfBrokenFrame);
  return badInputIfBroken(() => read(head));
}

/** The next file's bytes; a stream that ends early is BAD_INPUT. */
export async function* framedBytes(reader: FramedStreamReader, size: number): AsyncGenerator<Uint8Array> {
  try {
    yield* reader.readBytes(size);
  } catch (error) {
    badInputIfBrokenFrame(error);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

/**
 * Runs a batch route: CORS, POST only, and every error answered as JSON.
 * The rest of a refused request body is read and dropped first (it is
 * bounded by the batch limits once the head was read), so that the client,
 * still sending, gets the answer rather than a reset connection.
 */
export async function answerBatchRequest(
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
  handle: (body: FramedStreamReader) => Promise<void>,
): Promise<void> {
  const body = new FramedStreamReader(req);
  if (plainRouteCors(services.config, req, res, "POST, OPTIONS")) return;
  try {
    if (req.method !== "POST") {
      res.setHeader("Allow", "POST");
      throw new SmsyncError("BAD_INPUT", "batches are sent with POST");
    }
    await handle(body);
  } catch (error) {
    if (res.headersSent) return void res.destroy();
    const answer = errorAnswer(services, req, error);
    // A body that breaks while it is dropped is answered too, and the connection closed.
    const drained = await body.skipRest(services.config.batchMaxBytes).catch(() => false);
    if (!drained) res.setHeader("Connection", "close");
    sendJson(res, answer.status, answer.body);
  }
}

function errorAnswer(services: Services, req: IncomingMessage, error: unknown) {
  if (error instanceof SmsyncError) {
    return {
      status: httpStatusOf(error.code),
      body: { code: error.code, message: error.message, ...error.extensions },
    };
  }
  if (isFileSystemFull(error)) {
    services.logger.error({ err: error, url: req.url }, "batch refused: the staging area's disk is full");
    const message = "the server's staging area is full; the files it recorded are kept: send the rest later";
    return { status: 507, body: { code: "STAGING_FULL", message } };
  }
  services.logger.error({ err: error, method: req.method, url: req.url }, "batch request failed");
  return { status: 500, body: { code: "INTERNAL", message: "internal server error" } };
}
