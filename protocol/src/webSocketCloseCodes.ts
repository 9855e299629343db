// The close codes with which the server refuses a graphql-ws connection
// (docs/protocol.md, "WebSocket connections"), each with the error code a
// client reports it as: a close event carries no extensions.code.
import type { ErrorCode } from "./errorCodes.ts";

export const webSocketRefusals = {
  /** connection_init without a valid device token (missing, unknown or revoked). */
  unauthorized: { code: 4401, reason: "Unauthorized", errorCode: "UNAUTHENTICATED" },
  /** The device already holds SMSYNC_WS_MAX_CONNECTIONS_PER_DEVICE connections on this server instance. */
  tooManyConnections: { code: 4429, reason: "Too many connections", errorCode: "RATE_LIMITED" },
} as const satisfies Record<string, { code: number; reason: string; errorCode: ErrorCode }>;

export type WebSocketRefusal = (typeof webSocketRefusals)[keyof typeof webSocketRefusals];

/** The error code of a refusal's close code; undefined for any other close (a network cut, a server going away). */
export function errorCodeOfWebSocketClose(closeCode: number): ErrorCode | undefined {
  return Object.values(webSocketRefusals).find((refusal) => refusal.code === closeCode)?.errorCode;
}
