// Who may hold a graphql-ws connection: a device whose token, sent in
// connection_init's payload (connectionParams.authorization), is valid, that
// is within its rate limits (a connection counts as a request,
// limits/RequestLimits.ts) and that has room under its cap of connections. A
// refused socket is closed with the refusal's code (@smsync/protocol's
// webSocketRefusals) and never acknowledged, so it can send no operation.
import { webSocketRefusals, type WebSocketRefusal } from "@smsync/protocol";
import type { IncomingMessage } from "node:http";
import type { WebSocket } from "ws";
import { tokenOfAuthorization } from "../auth/deviceTokens.ts";
import { authenticateRequest } from "../auth/requestCaller.ts";
import { isRefusal } from "../limits/RequestLimits.ts";
import type { Services } from "../services.ts";
import type { DeviceConnection, DeviceSocketLimits } from "./DeviceSocketLimits.ts";
import { connectionAuthorization } from "./plugins/authentication.ts";

/** The connection's counted place among its device's; null when the socket was refused (and closed). */
export async function admitConnection(
  services: Services,
  limits: DeviceSocketLimits,
  { socket, request }: { socket: WebSocket; request: IncomingMessage },
  connectionParams: Record<string, unknown> | undefined,
): Promise<DeviceConnection | null> {
  const authorization = connectionAuthorization(connectionParams);
  const admitted = await services.requestLimits.admit(request, tokenOfAuthorization(authorization));
  if (isRefusal(admitted)) {
    if (socket.readyState !== socket.OPEN) return null;
    services.logger.info({ limit: admitted.limit }, "graphql-ws connection refused: rate limited");
    return refuse(socket, webSocketRefusals.tooManyConnections);
  }
  // A connection is a request while it is admitted, not for as long as it stays open.
  admitted();
  const caller = await authenticateRequest(services, authorization);
  // The socket may have closed while the token was checked: its close has
  // already given back what it held, so nothing may be counted for it now.
  if (socket.readyState !== socket.OPEN) return null;
  if (!caller) return refuse(socket, webSocketRefusals.unauthorized);
  const connection = limits.openConnection(caller.deviceId);
  if (!connection) {
    services.logger.info(
      { deviceId: caller.deviceId, maxConnections: limits.caps.maxConnections },
      "graphql-ws connection refused: the device has too many",
    );
    return refuse(socket, webSocketRefusals.tooManyConnections);
  }
  return connection;
}

function refuse(socket: WebSocket, refusal: WebSocketRefusal): null {
  socket.close(refusal.code, refusal.reason);
  return null;
}
