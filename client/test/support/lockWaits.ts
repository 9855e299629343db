// The server's line of devices waiting for a user's lock (api/src/locks/LockLine.ts),
// seen from a test: it lives in the server's memory, so there is nothing to subscribe to.
import type { TestServer } from "@smsync/testkit";

/** Resolves once a device of the user has a lock call waiting in the server (lock's waitSeconds). */
export async function untilLockCallWaits(server: TestServer, userName: string): Promise<void> {
  const { id: userId } = await server.app.services.db.user.findUniqueOrThrow({ where: { name: userName } });
  while (server.app.services.lockLine.waitingInServer(userId) === 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
