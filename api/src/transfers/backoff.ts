// The wait before a transfer's next attempt: the protocol's backoff (full
// jitter), from SMSYNC_TRANSFER_BACKOFF_BASE_MS up to SMSYNC_TRANSFER_BACKOFF_CAP_MS.
import { backoffDelayMs } from "@smsync/protocol";
import type { Config } from "../config/config.ts";

export function transferRetryDelayMs(
  attempt: number,
  config: Pick<Config, "transferBackoffBaseMs" | "transferBackoffCapMs">,
  random: () => number = Math.random,
): number {
  return backoffDelayMs(attempt, { baseMs: config.transferBackoffBaseMs, capMs: config.transferBackoffCapMs }, random);
}
