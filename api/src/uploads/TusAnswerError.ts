// One of @tus/utils' ERRORS answers ({status_code, body}), thrown as an
// Error: tus's server and our onResponseError read its status_code and body,
// as they do of the plain object, and it carries a stack and the failure it
// stands for (its cause), which the plain object loses.
export class TusAnswerError extends Error {
  override readonly name = "TusAnswerError";
  readonly status_code: number;
  readonly body: string;

  constructor(answer: { status_code: number; body: string }, options?: ErrorOptions) {
    super(answer.body.trim(), options);
    this.status_code = answer.status_code;
    this.body = answer.body;
  }
}
