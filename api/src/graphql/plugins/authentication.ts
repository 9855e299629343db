// Resolves the caller from the device token once per request: the
// Authorization header over HTTP and SSE, connectionParams.authorization over
// graphql-ws. Fields that need a caller check it with requireCaller.
import type { Plugin } from "graphql-yoga";
import { authenticate } from "../../auth/deviceTokens.ts";
import type { Services } from "../../services.ts";

export function useDeviceAuthentication(services: Services): Plugin<{ caller?: unknown; connectionParams?: Record<string, unknown> }> {
  return {
    async onContextBuilding({ context, extendContext }) {
      const fromHeader = (context as { request?: Request }).request?.headers.get("authorization");
      const fromConnection = context.connectionParams?.authorization;
      const authorization = fromHeader ?? (typeof fromConnection === "string" ? fromConnection : null);
      extendContext({ caller: await authenticate(services.db, authorization) });
    },
  };
}
