// A request body that sends nothing for SMSYNC_UPLOAD_IDLE_TIMEOUT_SECONDS is
// cut: its connection is destroyed, and the server logs it. Without this, a
// client that stops sending mid-body (a trickling or stalled PATCH) holds
// its connection, its upload's tus lock and its file open until Node's
// request timeout (300 s), and a proxy's may be longer. What the body sent
// before stays: tus keeps the bytes it wrote (the upload's offset), a batch
// the groups it recorded.
//
// Idle means the connection read no bytes while the body was not complete:
// its bytesRead, sampled a few times per timeout, not a socket timeout, which
// would outlive the request on a kept-alive connection and clash with Node's
// own keep-alive timer. (A server that stops reading for that long, its disk
// or database stalled, cuts the body too: the client resumes it as after any
// cut.) A request without a body is never cut, however long its answer takes.
import type { IncomingMessage } from "node:http";
import type { Logger } from "../logging/logger.ts";

/** Samples per timeout: a body idle for the timeout is cut within a quarter of it more. */
const samplesPerTimeout = 4;

/** Whether the request announced a body: a Content-Length above 0, or chunks. */
function hasBody(req: IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
}

export function cutBodyWhenIdle(req: IncomingMessage, idleMs: number, logger: Logger): void {
  if (!hasBody(req)) return;
  const { socket } = req;
  let bytesRead = socket.bytesRead;
  let lastReadAt = performance.now();
  const sampler = setInterval(() => {
    // Every byte of the body received, whether read by the handler yet or not.
    if (req.complete) {
      stop();
      return;
    }
    if (socket.bytesRead !== bytesRead) {
      bytesRead = socket.bytesRead;
      lastReadAt = performance.now();
      return;
    }
    if (performance.now() - lastReadAt < idleMs) return;
    stop();
    logger.warn(
      { method: req.method, url: req.url, idleTimeoutSeconds: idleMs / 1000, connectionBytesRead: bytesRead },
      "request body sent nothing for the idle timeout: connection cut",
    );
    socket.destroy();
  }, idleMs / samplesPerTimeout);
  sampler.unref();
  const stop = () => clearInterval(sampler);
  // The body read to its end, or the request gone: no longer waiting for bytes.
  req.once("end", stop);
  req.once("close", stop);
}
