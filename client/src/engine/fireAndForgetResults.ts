// The answers to lease renewals and unlocks, which no one needs once the
// process that sent them is gone: the engine takes them so that none is left
// stored at rest in outboxResults (sim seed 31500037).
import type { Outbox } from "../graphql/outbox/index.ts";
import { asError, isStopping } from "./events.ts";
import type { ClientStore } from "../store/ClientStore.ts";

function isFireAndForget(operationName: string | null): boolean {
  return operationName === "RenewLock" || operationName === "Unlock";
}

/** Results of renewLock and unlock that a relaunch left behind (nobody waits for them any more). */
export async function dropFireAndForgetResults(store: ClientStore, outbox: Outbox): Promise<void> {
  const stale = (await store.list("outboxResults")).filter(({ value }) => isFireAndForget(value.operationName));
  if (stale.length) await store.commit(stale.map(({ key }) => outbox.resultRemoval(key)));
}

/**
 * RenewLock and Unlock requests an earlier process left pending (a kill or a
 * close cut them in flight): this outbox sends them, but their sender is
 * gone, so the engine takes each answer as it arrives (a pass that started
 * before it arrived would leave it stored at rest).
 */
export async function takeOrphanedFireAndForgetResults(
  outbox: Outbox,
  onFailure: (error: Error) => void,
): Promise<void> {
  for (const { idempotencyKey, operationName } of await outbox.pending()) {
    if (!isFireAndForget(operationName)) continue;
    void outbox
      .result(idempotencyKey)
      .then(() => outbox.takeResult(idempotencyKey))
      .catch((error: unknown) => {
        // A closed or cleared outbox rejects the wait: the entry stays stored for the next one, or is gone.
        if (!isStopping(error)) onFailure(asError(error));
      });
  }
}
