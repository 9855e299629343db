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
    // No stack frames: a SmsyncError is an answer (LOCK_HELD to a device
    // waiting for the lock, many times a second), named by its code and
    // message. The executor reads the stack of every error it wraps, and
    // formatting the frames through the source maps cost more than the
    // refusal itself.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message, { extensions: { code, ...details } });
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.name = "SmsyncError";
    this.code = code;
  }
}
