// What the simulator exercised, summed over runs: printed at the end.
import { invariantNames, type InvariantNumber } from "./invariantNames.ts";

export interface FaultCounts {
  networkCut: number;
  lostResponse: number;
  offline: number;
  suspendResume: number;
  relaunch: number;
  cloud: number;
  /** Server processes that died (SIGKILL now, or at a crash point) and were started again. */
  serverCrash: number;
  /** Faults armed on the fake Google Drive. */
  driveFault: number;
  /** Client instances killed at a persistence point (then relaunched). */
  clientKill: number;
  /** Lock holders frozen past their lease; and how many of their leases another device took over meanwhile. */
  pausedHolder: number;
  leaseTakenOver: number;
  resetFromError: number;
}

export const noFaults = (): FaultCounts => ({
  networkCut: 0,
  lostResponse: 0,
  offline: 0,
  suspendResume: 0,
  relaunch: 0,
  cloud: 0,
  serverCrash: 0,
  driveFault: 0,
  clientKill: 0,
  pausedHolder: 0,
  leaseTakenOver: 0,
  resetFromError: 0,
});

export interface Totals {
  runs: number;
  failed: number;
  devices: number;
  operations: number;
  faults: FaultCounts;
  checks: Record<InvariantNumber, number>;
  uploadsConfirmed: number;
  downloadsSaved: number;
  deletionsApplied: number;
  conflicts: number;
  seconds: number;
}

export const emptyTotals = (): Totals => ({
  runs: 0,
  failed: 0,
  devices: 0,
  operations: 0,
  faults: noFaults(),
  checks: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0 },
  uploadsConfirmed: 0,
  downloadsSaved: 0,
  deletionsApplied: 0,
  conflicts: 0,
  seconds: 0,
});

export function formatReport(totals: Totals): string {
  const f = totals.faults;
  const lines = [
    `runs: ${totals.runs} (${totals.failed} failed) in ${totals.seconds.toFixed(1)} s`,
    `devices: ${totals.devices}; operations (app steps): ${totals.operations}`,
    `sync results: ${totals.uploadsConfirmed} changes confirmed, ${totals.downloadsSaved} downloads saved, ${totals.deletionsApplied} deletions applied, ${totals.conflicts} conflicts resolved`,
    `faults: ${f.networkCut} network cuts, ${f.lostResponse} lost responses, ${f.offline} offline spells, ${f.suspendResume} suspend/resume, ${f.relaunch} relaunches, ${f.cloud} cloud faults, ${f.serverCrash} server crashes, ${f.driveFault} Drive faults, ${f.clientKill} client kills, ${f.pausedHolder} paused lock holders (${f.leaseTakenOver} leases taken over), ${f.resetFromError} resetFromError`,
    "invariants checked:",
    ...(Object.entries(invariantNames) as [string, string][]).map(
      ([n, name]) => `  ${n}. ${name}: ${totals.checks[Number(n) as InvariantNumber]} checks`,
    ),
  ];
  return lines.join("\n");
}
