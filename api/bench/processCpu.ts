// The CPU time (user + system) a process has used, from /proc/<pid>/stat:
// per request it is a steadier figure than req/s on a shared machine, where
// other work takes the cores in turns.
import { readFileSync } from "node:fs";

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's times (100 on every common configuration). */
const ticksPerSecond = 100;

/** The process's CPU time so far in ms, or NaN where /proc is not there. */
export function processCpuMs(pid: number): number {
  try {
    // The fields after the command name (in parentheses, which may hold spaces): utime is 14th, stime 15th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return NaN;
  }
}
