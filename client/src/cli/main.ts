// smsync: the command line client.
//   smsync login --server URL --token TOKEN
//   smsync status
//   smsync sync DIR [--conflict keep-both|keep-local|accept-remote] [--quiet]
//   smsync watch DIR [--conflict ...] [--quiet] [--settle-ms N]
//   smsync reset DIR
//   smsync --version | --help
//
// Only what every command needs is imported here. The sync engine, SQLite,
// the GraphQL and tus clients and the progress bars are imported by the
// commands that use them (`await import` below), so `smsync --version`,
// `--help`, `login` and `status` start without loading them: 0.3 s of CPU
// less at each start (client/README.md, "The command line client").
import { parseArgs } from "node:util";
import { configPath, readConfig, writeConfig, type CliConfig } from "./cliConfig.ts";
import { cliVersion } from "./cliVersion.ts";
import { exitCodes } from "./exitCodes.ts";
import { checkServer, type ServerCheck } from "./serverCheck.ts";
import { output, syncedText, type Output } from "./cliOutput.ts";
import { ServerUnreachableError } from "./ServerUnreachableError.ts";
import { StorageFullError } from "./storageFull.ts";
import type { ConflictPolicy } from "./syncFolder.ts";
import { defaultGiveUpAfterMs } from "./unreachableWatch.ts";
import { defaultSettleMs } from "./settling.ts";

const usage = `usage: smsync <command> [options]
  login --server URL --token TOKEN   check the token against the server and remember both
  status                             the server, the account's files, this client's state
  sync DIR                           two-way sync of a folder with the account's files
    --conflict keep-both|keep-local|accept-remote   (default keep-both: the server's version,
                                     and this device's content kept as a "(conflict ...)" copy)
    --quiet                          no progress on stderr (bars on a terminal, lines otherwise)
    --give-up-after SECONDS          how long to keep retrying an unreachable server (default ${defaultGiveUpAfterMs / 1000});
                                     then exit 4, the changes kept for the next sync
  watch DIR                          keep a folder in two-way sync until stopped (Ctrl-C, SIGTERM)
    --conflict, --quiet              as for sync
    --settle-ms N                    take a change once it has been left alone N ms (default ${defaultSettleMs})
    --json                           one JSON object per line on stdout for each thing done
  reset DIR                          leave an error mode: drop this folder's unsent changes and
                                     its staged work on the server (the next sync finds them again)
options: --json (machine-readable output on stdout), --help, --version`;

function failedCheck(out: Output, check: Extract<ServerCheck, { ok: false }>): number {
  const code =
    check.reason === "unauthenticated"
      ? exitCodes.authentication
      : check.reason === "unreachable"
        ? exitCodes.unreachable
        : exitCodes.failure;
  return out.fail(code, check.message, { reason: check.reason });
}

// What several commands check first; each gives the value, or the exit code of the failure it printed.

/** The login kept by `smsync login`. */
function loginOrFailure(out: Output): CliConfig | number {
  return (
    readConfig() ?? out.fail(exitCodes.authentication, `not logged in (no login in ${configPath()}): run smsync login`)
  );
}

/** The one folder a command takes: `smsync <command> DIR`. */
function folderOrFailure(out: Output, command: string, positionals: string[]): string | number {
  const dir = positionals[1];
  if (!dir || positionals.length > 2)
    return out.fail(exitCodes.usage, `${command} needs one folder: smsync ${command} DIR`);
  return dir;
}

function conflictPolicyOrFailure(out: Output, text: string): ConflictPolicy | number {
  const policies: readonly string[] = ["keep-both", "keep-local", "accept-remote"] satisfies ConflictPolicy[];
  if (!policies.includes(text))
    return out.fail(exitCodes.usage, "--conflict must be keep-both, keep-local or accept-remote");
  return text as ConflictPolicy;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        server: { type: "string" },
        token: { type: "string" },
        json: { type: "boolean", default: false },
        quiet: { type: "boolean", short: "q", default: false },
        conflict: { type: "string", default: "keep-both" },
        "give-up-after": { type: "string" },
        "settle-ms": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "v", default: false },
      },
    });
  } catch (error) {
    console.error(`smsync: ${(error as Error).message}\n${usage}`);
    return exitCodes.usage;
  }
  const { positionals, values } = parsed;
  const out = output(values.json);
  const [command] = positionals;
  if (values.version) {
    const version = cliVersion();
    out.print(`smsync ${version}`, { ok: true, version });
    return exitCodes.ok;
  }
  if (values.help || !command) {
    console.log(usage);
    return values.help ? exitCodes.ok : exitCodes.usage;
  }

  switch (command) {
    case "login": {
      if (!values.server || !values.token)
        return out.fail(exitCodes.usage, "login needs --server URL and --token TOKEN");
      const check = await checkServer(values.server, values.token);
      if (!check.ok) return failedCheck(out, check);
      writeConfig({ server: values.server, token: values.token });
      out.print(`logged in to ${values.server} (smsync ${check.version}); ${check.liveFiles} file(s) in the account`, {
        ok: true,
        server: values.server,
        serverVersion: check.version,
        files: check.liveFiles,
        config: configPath(),
      });
      return exitCodes.ok;
    }
    case "status": {
      const config = loginOrFailure(out);
      if (typeof config === "number") return config;
      const check = await checkServer(config.server, config.token);
      if (!check.ok) return failedCheck(out, check);
      out.print(
        `server ${config.server} (smsync ${check.version}): ${check.liveFiles} file(s), ${check.files - check.liveFiles} deleted`,
        {
          ok: true,
          server: config.server,
          serverVersion: check.version,
          files: check.liveFiles,
          deletedFiles: check.files - check.liveFiles,
        },
      );
      return exitCodes.ok;
    }
    case "sync": {
      const dir = folderOrFailure(out, "sync", positionals);
      if (typeof dir === "number") return dir;
      const conflict = conflictPolicyOrFailure(out, values.conflict);
      if (typeof conflict === "number") return conflict;
      const giveUpAfter =
        values["give-up-after"] === undefined ? defaultGiveUpAfterMs / 1000 : Number(values["give-up-after"]);
      if (!Number.isFinite(giveUpAfter) || giveUpAfter < 0)
        return out.fail(exitCodes.usage, "--give-up-after must be a number of seconds");
      const config = loginOrFailure(out);
      if (typeof config === "number") return config;
      // The sync's modules load while the server answers the check.
      const [check, [{ syncFolder }, { progressMode, syncProgress }]] = await Promise.all([
        checkServer(config.server, config.token),
        Promise.all([import("./syncFolder.ts"), import("./syncProgress.ts")]),
      ]);
      if (!check.ok) return failedCheck(out, check);
      try {
        const summary = await syncFolder({
          dir,
          server: config.server,
          token: config.token,
          conflict,
          serverFiles: check.index,
          progress: syncProgress(progressMode({ quiet: values.quiet })),
          giveUpAfterMs: giveUpAfter * 1000,
        });
        out.print(syncedText(dir, summary), { ok: true, dir, ...summary });
        return exitCodes.ok;
      } catch (error) {
        if (error instanceof ServerUnreachableError) {
          // What was queued did not go up: `pending` says so, rather than an "uploaded" count.
          const { uploaded: _uploaded, deleted: _deleted, bytesUploaded: _bytesUploaded, ...done } = error.summary;
          return out.fail(exitCodes.unreachable, `sync incomplete: ${error.message}`, {
            reason: "unreachable",
            dir,
            pending: error.pending,
            ...done,
          });
        }
        if (error instanceof StorageFullError)
          return out.fail(exitCodes.storageFull, `sync stopped: ${error.message}`, { code: error.code });
        return out.fail(exitCodes.failure, `sync failed: ${(error as Error).message}`, {
          code: (error as { code?: string }).code,
        });
      }
    }
    case "watch": {
      const dir = folderOrFailure(out, "watch", positionals);
      if (typeof dir === "number") return dir;
      const conflict = conflictPolicyOrFailure(out, values.conflict);
      if (typeof conflict === "number") return conflict;
      const settleMs = values["settle-ms"] === undefined ? defaultSettleMs : Number(values["settle-ms"]);
      if (!Number.isFinite(settleMs) || settleMs < 0)
        return out.fail(exitCodes.usage, "--settle-ms must be a number of milliseconds");
      const config = loginOrFailure(out);
      if (typeof config === "number") return config;
      const [check, { watchCommand }] = await Promise.all([
        checkServer(config.server, config.token),
        import("./watchCommand.ts"),
      ]);
      if (!check.ok) return failedCheck(out, check);
      return watchCommand(out, {
        dir,
        server: config.server,
        token: config.token,
        conflict,
        settleMs,
        quiet: values.quiet,
        serverFiles: check.index,
      });
    }
    case "reset": {
      const dir = folderOrFailure(out, "reset", positionals);
      if (typeof dir === "number") return dir;
      const config = loginOrFailure(out);
      if (typeof config === "number") return config;
      const { resetFolder } = await import("./syncFolder.ts");
      try {
        const mode = await resetFolder({ dir, server: config.server, token: config.token });
        out.print(`reset ${dir}: the client was in ${mode}; it is idle now`, { ok: true, dir, previousMode: mode });
        return exitCodes.ok;
      } catch (error) {
        return out.fail(exitCodes.failure, `reset failed: ${(error as Error).message}`);
      }
    }
    default:
      console.error(`smsync: unknown command ${JSON.stringify(command)}\n${usage}`);
      return exitCodes.usage;
  }
}
