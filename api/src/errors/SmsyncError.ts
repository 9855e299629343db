// Every error a client can act on is a SmsyncError: a GraphQL error with a
// stable code in extensions.code: one of the protocol's error codes
// (@smsync/protocol, docs/protocol.md lists them). Anything else is masked by
// Yoga as an unexpected error, without a stack trace.
import type { ErrorCode } from "@smsync/protocol";
import { GraphQLError } from "graphql";

export type { ErrorCode };

export class SmsyncError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...details } });
    this.name = "SmsyncError";
    this.code = code;
  }
}
