// `smsync watch DIR` as a command: what it prints, how it stops, its exit
// code. The watch itself is liveFolder.ts.
//
// A person sees the progress on stderr (bars on a terminal, a line per
// transfer otherwise; nothing with --quiet), a line when the folder is
// live, and the totals on stdout when it stops. With --json, stdout carries
// one JSON object per line for each thing done ({"event":"uploading",...},
// "downloaded", "removed", "conflict", ...) and for the watch's own state
// ("ready", "mode", "connection"), then the totals ("stopped").
//
// The first SIGINT or SIGTERM stops the watch cleanly (liveFolder.ts); a
// second one exits at once, which loses nothing either (the queue is in the
// folder's store).
import { isErrorMode } from "../modes.ts";
import { output, syncedText, type Output } from "./cliOutput.ts";
import { exitCodes } from "./exitCodes.ts";
import type { ConflictPolicy } from "./folderActivity.ts";
import { keepFolderInSync, LiveFolderError, type LiveFolderStatus } from "./liveFolder.ts";
import type { ServerFile } from "./serverCheck.ts";
import { progressMode, syncProgress } from "./syncProgress.ts";

export interface WatchCommandOptions {
  dir: string;
  server: string;
  token: string;
  conflict: ConflictPolicy;
  settleMs: number;
  quiet: boolean;
  serverFiles: ServerFile[];
}

export async function watchCommand(out: Output, options: WatchCommandOptions): Promise<number> {
  const stopping = new AbortController();
  const onSignal = () => {
    if (stopping.signal.aborted) process.exit(exitCodes.interrupted);
    stopping.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const event = (name: string, fields: object) => {
    if (out.json) console.log(JSON.stringify({ event: name, at: new Date().toISOString(), ...fields }));
  };
  const say = (line: string) => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };
  let unreachable = false;
  const onStatus = (status: LiveFolderStatus) => {
    switch (status.type) {
      case "ready":
        event("ready", { dir: options.dir, queued: status.queued });
        say(`watching ${options.dir} (Ctrl-C stops)`);
        return;
      case "mode":
        event("mode", { mode: status.mode, ...(status.error ? { error: status.error.message } : {}) });
        if (status.mode === "networkNotConnected" && !unreachable) {
          unreachable = true;
          say(`the server cannot be reached${status.error ? ` (${status.error.message})` : ""}: retrying`);
        } else if (unreachable && status.mode !== "networkNotConnected" && !isErrorMode(status.mode)) {
          unreachable = false;
          say("the server is back");
        }
        return;
      case "connection":
        event("connection", { state: status.state, ...(status.error ? { error: status.error.message } : {}) });
        if (status.error && status.state === "stopped") say(`live updates stopped: ${status.error.message}`);
        return;
      case "scanError":
        event("scanError", { error: status.error.message });
        say(`the scan of the folder failed (${status.error.message}): trying again`);
        return;
      case "watcherError":
        event("watcherError", { error: status.error.message });
        say(`the folder's watcher failed: ${status.error.message}`);
        return;
    }
  };
  try {
    const summary = await keepFolderInSync({
      dir: options.dir,
      server: options.server,
      token: options.token,
      conflict: options.conflict,
      settleMs: options.settleMs,
      serverFiles: options.serverFiles,
      progress: syncProgress(progressMode({ quiet: options.quiet })),
      onActivity: ({ type, ...fields }) => event(type, fields),
      onStatus,
      signal: stopping.signal,
    });
    const human = syncedText(options.dir, summary).replace(/^synced /, "stopped watching ");
    // stdout: the totals, as `smsync sync` prints them.
    output(out.json).print(human, { event: "stopped", ok: true, dir: options.dir, ...summary });
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof LiveFolderError)
      return out.fail(exitCodes.failure, `watch stopped: ${error.message}`, { event: "stopped", mode: error.mode });
    return out.fail(exitCodes.failure, `watch failed: ${(error as Error).message}`, {
      event: "stopped",
      code: (error as { code?: string }).code,
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
