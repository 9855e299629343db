// How a command answers: a line for a person, or one JSON object on stdout
// with --json (scripts read it); failures on stderr with their exit code.
import { formatBytes, formatSeconds } from "./byteFormat.ts";
import type { SyncSummary } from "./syncSummary.ts";

export interface Output {
  json: boolean;
  print(human: string, machine: Record<string, unknown>): void;
  fail(code: number, message: string, machine?: Record<string, unknown>): number;
}

export function output(json: boolean): Output {
  return {
    json,
    print(human, machine) {
      console.log(json ? JSON.stringify(machine) : human);
    },
    fail(code, message, machine = {}) {
      if (json) console.log(JSON.stringify({ ok: false, error: message, ...machine }));
      else console.error(`smsync: ${message}`);
      return code;
    },
  };
}

export function syncedText(dir: string, summary: SyncSummary): string {
  return (
    `synced ${dir}: ${summary.uploaded} uploaded (${formatBytes(summary.bytesUploaded)}), ${summary.deleted} deleted, ` +
    `${summary.downloaded} downloaded (${formatBytes(summary.bytesDownloaded)}), ${summary.removedLocally} removed here, ` +
    `${summary.conflicts} conflict(s) in ${formatSeconds(summary.seconds)}` +
    summary.notSynced.map((file) => `\nnot synced: ${file.path}: ${file.reason}; rename it`).join("")
  );
}
