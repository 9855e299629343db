// The server's file-system calls as strace records them, and the check that
// every acknowledgment comes after the fsyncs it depends on (the ordering
// half of ALICE, OSDI '14). Run the server under
//   strace -f -tt -yy -s 96 -e trace=<traceSyscalls> -o FILE node ...
// (-f: libuv's thread pool does the file work; -yy: each descriptor with its
// path or its TCP addresses).
//
// What counts as not yet durable, under the data directory:
// - a file's bytes, from a write (or an open with O_TRUNC) until the file is
//   fsynced;
// - a name, from its creation (open with O_CREAT of a file that did not
//   exist, mkdir, rename onto it, a hard link) until its directory is
//   fsynced; a hard link's bytes are as durable as the file it links.
// Names that are only ever renamed away (temporary files) do not count:
// their bytes count under the name they are renamed to. Removals do not
// count unless the caller says they must be durable, nor SQLite's -shm file
// (shared memory, rebuilt from the WAL on open).
//
// Which writes are acknowledgments, and what each depends on, the caller
// says: for the server (serverAcknowledgments), a write to a TCP connection
// accepted on its port, which depends on what was changed up to the last
// write to the database (an answer or an event reports the database, which
// records what the files hold), and, for a tus answer (it carries
// Upload-Offset), on the bytes of every staged upload.
import path from "node:path";

export const traceSyscalls = [
  "open",
  "openat",
  "creat",
  "write",
  "pwrite64",
  "writev",
  "pwritev",
  "pwritev2",
  "sendto",
  "sendmsg",
  "fsync",
  "fdatasync",
  "rename",
  "renameat",
  "renameat2",
  "link",
  "linkat",
  "mkdir",
  "mkdirat",
  "unlink",
  "unlinkat",
  "rmdir",
  "ftruncate",
  "truncate",
  "fallocate",
  "copy_file_range",
  "sendfile",
].join(",");

export type TraceEvent =
  | { kind: "create"; line: number; path: string; truncate: boolean }
  | { kind: "write"; line: number; path: string }
  | SendEvent
  | { kind: "sync"; line: number; path: string }
  | { kind: "rename"; line: number; from: string; to: string }
  | { kind: "link"; line: number; from: string; to: string }
  | { kind: "mkdir"; line: number; path: string }
  | { kind: "remove"; line: number; path: string };

/** A write to anything but a file: a socket, a pipe. */
export interface SendEvent {
  kind: "send";
  line: number;
  /** The descriptor as strace shows it: `1<pipe:[1234]>`, `5<TCP:[127.0.0.1:4000->127.0.0.1:5000]>`. */
  descriptor: string;
  /** For a TCP connection, the local port. */
  localPort?: number;
  /** The start of what was written (escaped as strace prints it). */
  text: string;
}

/** `3</a/b>` or `AT_FDCWD</a>`: the path; `5<TCP:[127.0.0.1:4000->127.0.0.1:5000]>`: the local port. */
function descriptorOf(argument: string | undefined): { path?: string; localPort?: number } {
  if (argument === undefined) return {};
  const tcp = /^\d+<TCPv?6?:\[(?:[^\]]*?):(\d+)->/.exec(argument);
  if (tcp) return { localPort: Number(tcp[1]) };
  const file = /^(?:\d+|AT_FDCWD)<(\/[^>]*)>/.exec(argument);
  if (file) return { path: file[1]!.replace(/ \(deleted\)$/, "") };
  return {};
}

/** The quoted strings of a call's arguments, unescaped enough for paths. */
function quotedStrings(args: string): string[] {
  return [...args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!.replace(/\\"/g, '"'));
}

/** Arguments split at top-level commas (strings and brackets kept whole). */
export function splitArguments(args: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let current = "";
  for (let index = 0; index < args.length; index++) {
    const char = args[index];
    if (inString) {
      current += char;
      if (char === "\\") current += args[++index] ?? "";
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    if (char === "[" || char === "{" || char === "(") depth++;
    if (char === "]" || char === "}" || char === ")") depth--;
    if (char === "," && depth === 0) {
      parts.push(current.trim());
      current = "";
      continue;
    }
    current += char;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

function resolveAgainst(base: string | undefined, name: string | undefined, cwd: string): string {
  if (name === undefined) throw new Error(`a system call without the path it names (relative to ${base ?? cwd})`);
  return path.resolve(base ?? cwd, name);
}

/** One completed system call of a strace -f -yy output (a call strace split in two, joined). */
export interface TraceCall {
  /** The line the call starts on (its `<unfinished ...>` half, if split). */
  line: number;
  /** The line it returned on. */
  returnLine: number;
  pid: number;
  name: string;
  args: string;
  result: number;
  /** What strace prints after the result: the descriptor's path with -yy. */
  resultRest: string;
}

/** The successful calls of a strace -f output, in the order they returned. */
export function traceCalls(output: string): TraceCall[] {
  const calls: TraceCall[] = [];
  const unfinished = new Map<string, { line: number; text: string }>();
  const lines = output.split("\n");
  for (const [lineNumber, line] of lines.entries()) {
    const match = /^(\d+)\s+\S+\s+(.*)$/.exec(line);
    if (!match) continue;
    const pid = match[1]!;
    let text = match[2]!;
    let startLine = lineNumber;
    if (text.endsWith("<unfinished ...>")) {
      unfinished.set(pid, { line: lineNumber, text: text.slice(0, -"<unfinished ...>".length).trimEnd() });
      continue;
    }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(text);
    if (resumed) {
      const start = unfinished.get(pid);
      unfinished.delete(pid);
      if (!start) continue;
      text = start.text + resumed[1]!;
      startLine = start.line;
    }
    const call = /^(\w+)\((.*)\)\s+=\s+(-?\d+)(.*)$/.exec(text);
    if (!call) continue;
    const result = Number(call[3]);
    if (result < 0) continue;
    calls.push({
      line: startLine,
      returnLine: lineNumber,
      pid: Number(pid),
      name: call[1]!,
      args: call[2]!,
      result,
      resultRest: call[4]!,
    });
  }
  return calls;
}

/** The events of a strace -f -yy output; `cwd`: the traced process's working directory (for relative paths). */
export function parseTrace(output: string, cwd: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const { line: startLine, returnLine: lineNumber, name, args, result, resultRest } of traceCalls(output)) {
    const argv = splitArguments(args);
    const strings = quotedStrings(args);
    switch (name) {
      case "open":
      case "openat":
      case "creat": {
        const flags = name === "creat" ? "O_CREAT|O_TRUNC" : (argv[name === "open" ? 1 : 2] ?? "");
        if (!flags.includes("O_CREAT") && !flags.includes("O_TRUNC")) break;
        const opened = descriptorOf(`${result}${resultRest.trim()}`).path;
        const base = name === "openat" ? descriptorOf(argv[0]).path : undefined;
        const file = opened ?? resolveAgainst(base, strings[0], cwd);
        events.push({ kind: "create", line: startLine, path: file, truncate: flags.includes("O_TRUNC") });
        break;
      }
      case "write":
      case "pwrite64":
      case "writev":
      case "pwritev":
      case "pwritev2":
      case "sendto":
      case "sendmsg": {
        const target = descriptorOf(argv[0]);
        if (target.path) events.push({ kind: "write", line: startLine, path: target.path });
        else
          events.push({
            kind: "send",
            line: startLine,
            descriptor: argv[0] ?? "",
            localPort: target.localPort,
            text: strings[0] ?? "",
          });
        break;
      }
      case "copy_file_range":
      case "sendfile": {
        // fs.copyFile: the bytes go to the second descriptor of copy_file_range, the first of sendfile.
        const out = argv[name === "sendfile" ? 0 : 2];
        const target = descriptorOf(out);
        if (target.path) events.push({ kind: "write", line: startLine, path: target.path });
        else
          events.push({ kind: "send", line: startLine, descriptor: out ?? "", localPort: target.localPort, text: "" });
        break;
      }
      case "fallocate":
      case "ftruncate": {
        const target = descriptorOf(argv[0]).path;
        if (target) events.push({ kind: "write", line: startLine, path: target });
        break;
      }
      case "truncate":
        events.push({ kind: "write", line: startLine, path: resolveAgainst(undefined, strings[0], cwd) });
        break;
      case "fsync":
      case "fdatasync": {
        const target = descriptorOf(argv[0]).path;
        // Durable once the call has returned.
        if (target) events.push({ kind: "sync", line: lineNumber, path: target });
        break;
      }
      case "rename":
      case "renameat":
      case "renameat2":
      case "link":
      case "linkat": {
        // renameat/linkat(olddirfd, oldpath, newdirfd, newpath): the directories; rename/link(oldpath, newpath) have none.
        const relative = name.endsWith("at") || name === "renameat2";
        events.push({
          kind: name.startsWith("link") ? "link" : "rename",
          line: startLine,
          from: resolveAgainst(relative ? descriptorOf(argv[0]).path : undefined, strings[0], cwd),
          to: resolveAgainst(relative ? descriptorOf(argv[2]).path : undefined, strings[1], cwd),
        });
        break;
      }
      case "mkdir":
        events.push({ kind: "mkdir", line: startLine, path: resolveAgainst(undefined, strings[0], cwd) });
        break;
      case "mkdirat":
        events.push({
          kind: "mkdir",
          line: startLine,
          path: resolveAgainst(descriptorOf(argv[0]).path, strings[0], cwd),
        });
        break;
      case "unlink":
      case "rmdir":
        events.push({ kind: "remove", line: startLine, path: resolveAgainst(undefined, strings[0], cwd) });
        break;
      case "unlinkat":
        events.push({
          kind: "remove",
          line: startLine,
          path: resolveAgainst(descriptorOf(argv[0]).path, strings[0], cwd),
        });
        break;
    }
  }
  return events.sort((a, b) => a.line - b.line);
}

export interface Acknowledgment {
  line: number;
  /** The first line of what was sent (`HTTP/1.1 204 No Content`, a WebSocket frame...). */
  text: string;
}

export interface Violation {
  acknowledgment: Acknowledgment;
  /** `bytes of <path>` or `name <path>`. */
  notDurable: string;
  changedAtLine: number;
}

export interface DurabilityCheck {
  acknowledgments: Acknowledgment[];
  violations: Violation[];
  /** Every path synced, for checks that the trace saw what it should. */
  synced: Set<string>;
  renamedInto: Set<string>;
  removed: Set<string>;
  /** The new names of hard links. */
  linked: Set<string>;
}

export interface DurabilityRules {
  /** What must be durable lives under this directory. */
  dataDir: string;
  /** The SQLite file whose writes (and its WAL's) are the database's. */
  databaseFile: string;
  /** Paths that existed before the trace began (an open with O_CREAT of one of them creates nothing). */
  existing: Iterable<string>;
  /** Whether a write to a socket or a pipe acknowledges something. */
  acknowledges(send: SendEvent): boolean;
  /** Whether the acknowledgment depends on a change made at `changedAt` to `file` (the last database write was at `lastDatabaseWrite`). */
  dependsOn(send: SendEvent, file: string, changedAt: number, lastDatabaseWrite: number): boolean;
  /** Whether removing this file must be durable before an acknowledgment (by default no removal must). */
  removalMustBeDurable?(file: string): boolean;
}

/** The server's rules: its answers and events, on what the database records, and tus answers on the staged bytes. */
export function serverAcknowledgments(
  serverPort: number,
  uploadsDir: string,
): Pick<DurabilityRules, "acknowledges" | "dependsOn"> {
  return {
    acknowledges: (send) => send.localPort === serverPort,
    dependsOn: (send, file, changedAt, lastDatabaseWrite) =>
      changedAt <= lastDatabaseWrite || (send.text.includes("Upload-Offset") && file.startsWith(`${uploadsDir}/`)),
  };
}

export function checkAcknowledgments(events: TraceEvent[], rules: DurabilityRules): DurabilityCheck {
  const inside = (file: string) => file.startsWith(`${rules.dataDir}/`) && !file.endsWith("-shm");
  const temporary = new Set(events.flatMap((event) => (event.kind === "rename" ? [event.from] : [])));
  const existing = new Set(rules.existing);
  const dirtyBytes = new Map<string, number>();
  const dirtyNames = new Map<string, number>();
  const acknowledgments: Acknowledgment[] = [];
  const violations: Violation[] = [];
  const synced = new Set<string>();
  const renamedInto = new Set<string>();
  const removed = new Set<string>();
  const linked = new Set<string>();
  let lastDatabaseWrite = -1;
  const isDatabase = (file: string) => file === rules.databaseFile || file === `${rules.databaseFile}-wal`;

  for (const event of events) {
    switch (event.kind) {
      case "create":
        if (!inside(event.path)) break;
        if (!existing.has(event.path)) {
          existing.add(event.path);
          dirtyNames.set(event.path, event.line);
        }
        if (event.truncate) dirtyBytes.set(event.path, event.line);
        break;
      case "write":
        if (!inside(event.path)) break;
        dirtyBytes.set(event.path, event.line);
        if (isDatabase(event.path)) lastDatabaseWrite = event.line;
        break;
      case "sync":
        synced.add(event.path);
        dirtyBytes.delete(event.path);
        for (const name of [...dirtyNames.keys()]) if (path.dirname(name) === event.path) dirtyNames.delete(name);
        break;
      case "rename": {
        if (!inside(event.to)) break;
        renamedInto.add(event.to);
        const bytes = dirtyBytes.get(event.from);
        dirtyBytes.delete(event.from);
        if (bytes === undefined) dirtyBytes.delete(event.to);
        else dirtyBytes.set(event.to, bytes);
        dirtyNames.delete(event.from);
        existing.delete(event.from);
        existing.add(event.to);
        dirtyNames.set(event.to, event.line);
        break;
      }
      case "link": {
        // A new name of the same bytes: the name is new, and the bytes are as durable as the linked file's.
        if (!inside(event.to)) break;
        linked.add(event.to);
        existing.add(event.to);
        dirtyNames.set(event.to, event.line);
        const bytes = dirtyBytes.get(event.from);
        if (bytes !== undefined) dirtyBytes.set(event.to, bytes);
        break;
      }
      case "mkdir":
        if (!inside(event.path)) break;
        existing.add(event.path);
        dirtyNames.set(event.path, event.line);
        break;
      case "remove":
        removed.add(event.path);
        existing.delete(event.path);
        dirtyBytes.delete(event.path);
        dirtyNames.delete(event.path);
        if (inside(event.path) && rules.removalMustBeDurable?.(event.path)) dirtyNames.set(event.path, event.line);
        break;
      case "send": {
        if (!rules.acknowledges(event)) break;
        const acknowledgment = { line: event.line, text: event.text.split("\\r\\n")[0]! };
        acknowledgments.push(acknowledgment);
        const depends = (file: string, line: number) =>
          !temporary.has(file) && rules.dependsOn(event, file, line, lastDatabaseWrite);
        for (const [file, line] of dirtyBytes) {
          if (depends(file, line))
            violations.push({ acknowledgment, notDurable: `bytes of ${file}`, changedAtLine: line });
        }
        for (const [file, line] of dirtyNames) {
          if (depends(file, line)) violations.push({ acknowledgment, notDurable: `name ${file}`, changedAtLine: line });
        }
        break;
      }
    }
  }
  return { acknowledgments, violations, synced, renamedInto, removed, linked };
}
