// @tus/server answering every error in smsync's JSON shape. Its handlers'
// errors go through onResponseError (hooks/onResponseError.ts); a few
// refusals it writes itself, before any handler runs and without that hook
// (412 without Tus-Resumable, 400 for a header its validators reject, 404 for
// a method it has no handler for). All answers pass through write(): an
// error answer not in the JSON shape yet is put in it there, with tus's
// status and headers (Tus-Resumable, CORS) kept.
import type { CancellationContext } from "@tus/utils";
import { Server } from "@tus/server";
import { isJsonErrorBody, tusRefusalAnswer } from "./tusRefusals.ts";

export class JsonErrorTusServer extends Server {
  override write(context: CancellationContext, headers: Headers, status: number, body = "") {
    if (status < 400) return super.write(context, headers, status, body);
    headers.set("Content-Type", "application/json");
    if (isJsonErrorBody(body)) return super.write(context, headers, status, body);
    // Only tus's own refusals reach here without a JSON body: a 5xx of a handler went through onResponseError.
    const answer = tusRefusalAnswer(status, body);
    return super.write(context, headers, answer.status_code, answer.body);
  }
}
