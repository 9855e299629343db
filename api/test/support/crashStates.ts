// Crash states: what a data directory would hold after a power loss at a
// point of a strace trace, when everything not yet fsynced is lost (the
// replay half of ALICE, OSDI '14, and of Jepsen's LazyFS, in their
// pessimistic model): a file holds its bytes as of its last fsync (empty if
// it never had one), and a name exists as of its directory's last fsync.
// The trace is taken with
//   strace -f -tt -yy -s <larger than any write> -e trace=<crashTraceSyscalls>
// so that every byte written is in it, and replayed on a snapshot of the
// directory taken before the traced process started.
//
// Order: a call takes effect where strace shows it starting, except an
// fsync, which covers what was written before it returned. The server does
// not write a file while it fsyncs it, so this is exact for it.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { splitArguments, traceCalls, traceSyscalls, type TraceCall } from "@smsync/testkit";

export const crashTraceSyscalls = `${traceSyscalls},lseek,close`;

/** A directory tree: each path (relative to its root) to a file's bytes, or null for a directory. */
export type Tree = Map<string, Buffer | null>;

export function snapshotTree(root: string): Tree {
  const tree: Tree = new Map();
  for (const entry of readdirSync(root, { recursive: true, encoding: "utf8" })) {
    const full = path.join(root, entry);
    tree.set(entry, statSync(full).isDirectory() ? null : readFileSync(full));
  }
  return tree;
}

export function writeTree(tree: Tree, root: string): void {
  mkdirSync(root, { recursive: true });
  for (const [name, content] of [...tree].sort(([a], [b]) => a.localeCompare(b))) {
    const full = path.join(root, name);
    if (content === null) mkdirSync(full, { recursive: true });
    else writeFileSync(full, content);
  }
}

interface Inode {
  directory: boolean;
  volatile: Buffer;
  durable: Buffer;
}

interface OpenFile {
  inode: Inode | null;
  position: number;
  append: boolean;
}

/** A point of the trace at which the caller wants the crash state (e.g. an answer sent). */
export interface CrashPoint<T> {
  line: number;
  label: T;
}

/** Unescapes a string as strace prints it (C escapes, octal and hex bytes). */
export function straceBytes(quoted: string): Buffer {
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, e: 27, '"': 34, "\\": 92 };
  for (let index = 0; index < quoted.length; index++) {
    const char = quoted.charAt(index);
    if (char !== "\\") {
      bytes.push(...Buffer.from(char, "latin1"));
      continue;
    }
    const next = quoted.charAt(++index);
    const escaped = simple[next];
    if (escaped !== undefined) bytes.push(escaped);
    else if (next === "x") {
      bytes.push(parseInt(quoted.slice(index + 1, index + 3), 16));
      index += 2;
    } else if (/[0-7]/.test(next)) {
      let digits = next;
      while (digits.length < 3 && /[0-7]/.test(quoted.charAt(index + 1))) digits += quoted.charAt(++index);
      bytes.push(parseInt(digits, 8));
    } else throw new Error(`unknown escape \\${next} in a strace string`);
  }
  return Buffer.from(bytes);
}

/** The quoted strings of an argument, as strace printed them (escaped), in order; throws on one cut short. */
function quotedStrings(argument: string): string[] {
  const strings: string[] = [];
  for (let index = 0; index < argument.length; index++) {
    if (argument[index] !== '"') continue;
    const start = index + 1;
    for (index = start; index < argument.length && argument[index] !== '"'; index++)
      if (argument[index] === "\\") index++;
    strings.push(argument.slice(start, index));
    if (argument.startsWith("...", index + 1)) throw new Error("a write was cut short by strace: raise its -s");
  }
  return strings;
}

/** The bytes of a buffer argument (a writev's iovec array: its buffers, in order). */
const writtenData = (argument: string) => Buffer.concat(quotedStrings(argument).map(straceBytes));
/** The path arguments of a call. */
const pathArguments = (args: string) => quotedStrings(args).map((quoted) => straceBytes(quoted).toString());

/** The index-th of a call's arguments (or path arguments); throws, naming the call, when it has fewer. */
function nth(values: string[], index: number, call: TraceCall, what = "argument"): string {
  const value = values[index];
  if (value === undefined)
    throw new Error(`${call.name} at trace line ${call.line + 1} has no ${what} ${index}: ${call.args}`);
  return value;
}

const fdOf = (argument: string) => Number(/^(\d+)/.exec(argument.trim())?.[1]);
const pathOf = (argument: string) =>
  /^(?:\d+|AT_FDCWD)<(\/[^>]*)>/.exec(argument.trim())?.[1]?.replace(/ \(deleted\)$/, "");

function splice(target: Buffer, at: number, data: Buffer): Buffer {
  const length = Math.max(target.length, at + data.length);
  const result = Buffer.alloc(length);
  target.copy(result);
  data.copy(result, at);
  return result;
}

export interface CrashState<T> {
  label: T;
  line: number;
  /** The tree as a power loss just before the point would leave it. */
  tree: Tree;
  /** The tree as a crash of the process alone (kill -9) would leave it: everything written. */
  processCrash: Tree;
}

/**
 * Replays the trace of a process over `root` (whose contents before the
 * process started are `initial`) and returns the crash state at each point.
 */
export function crashStatesAt<T>(
  trace: string,
  root: string,
  initial: Tree,
  points: CrashPoint<T>[],
  cwd = root,
): CrashState<T>[] {
  const names = new Map<string, Inode>();
  const durableNames = new Map<string, Inode>();
  for (const [name, content] of initial) {
    const inode = {
      directory: content === null,
      volatile: content ?? Buffer.alloc(0),
      durable: content ?? Buffer.alloc(0),
    };
    names.set(name, inode);
    durableNames.set(name, inode);
  }
  // The root itself (name ""), so that an fsync of it is seen as a directory's.
  const rootInode = { directory: true, volatile: Buffer.alloc(0), durable: Buffer.alloc(0) };
  names.set("", rootInode);
  durableNames.set("", rootInode);
  const files = new Map<number, OpenFile>();
  const inside = (full: string | undefined) =>
    full && (full === root || full.startsWith(`${root}/`)) ? path.relative(root, full) : undefined;
  const inodeAt = (full: string | undefined) => {
    const name = inside(full);
    return name === undefined ? null : (names.get(name) ?? null);
  };
  const fileOf = (argument: string): OpenFile =>
    files.get(fdOf(argument)) ?? { inode: inodeAt(pathOf(argument)), position: 0, append: false };
  const write = (file: OpenFile, at: number, data: Buffer) => {
    if (file.inode && !file.inode.directory) file.inode.volatile = splice(file.inode.volatile, at, data);
  };

  const calls = traceCalls(trace).map((call) => ({
    call,
    at: call.name === "fsync" || call.name === "fdatasync" ? call.returnLine : call.line,
  }));
  calls.sort((a, b) => a.at - b.at);
  const pending = [...points].sort((a, b) => a.line - b.line);
  const states: CrashState<T>[] = [];
  const treeOf = (entries: Map<string, Inode>, content: (inode: Inode) => Buffer) => {
    const tree: Tree = new Map();
    // A name survives only if its directory's entry survives too. SQLite's -shm
    // (shared memory, written through mmap, so not in the trace) is rebuilt from the WAL on open.
    for (const [name, inode] of entries) {
      const parent = path.dirname(name);
      if (name === "" || (parent !== "." && !entries.has(parent)) || name.endsWith("-shm")) continue;
      tree.set(name, inode.directory ? null : Buffer.from(content(inode)));
    }
    return tree;
  };
  const takeStatesBefore = (line: number) => {
    while (pending.length > 0 && pending[0]!.line <= line) {
      const point = pending.shift()!;
      const tree = treeOf(durableNames, (inode) => inode.durable);
      states.push({
        label: point.label,
        line: point.line,
        tree,
        processCrash: treeOf(names, (inode) => inode.volatile),
      });
    }
  };

  for (const { call, at } of calls) {
    takeStatesBefore(at);
    apply(call);
  }
  takeStatesBefore(Number.POSITIVE_INFINITY);
  return states;

  function apply(call: TraceCall): void {
    const argv = splitArguments(call.args);
    const arg = (index: number) => nth(argv, index, call);
    const pathArg = (index: number) => nth(pathArguments(call.args), index, call, "path argument");
    switch (call.name) {
      case "open":
      case "openat":
      case "creat": {
        const flags = call.name === "creat" ? "O_CREAT|O_TRUNC" : (argv[call.name === "open" ? 1 : 2] ?? "");
        const full = pathOf(`${call.result}${call.resultRest.trim()}`);
        const name = inside(full);
        let inode = name === undefined ? null : (names.get(name) ?? null);
        if (name !== undefined && !inode && flags.includes("O_CREAT")) {
          inode = { directory: false, volatile: Buffer.alloc(0), durable: Buffer.alloc(0) };
          names.set(name, inode);
        }
        if (inode && flags.includes("O_TRUNC")) inode.volatile = Buffer.alloc(0);
        files.set(call.result, { inode, position: 0, append: flags.includes("O_APPEND") });
        break;
      }
      case "close":
        files.delete(fdOf(arg(0)));
        break;
      case "lseek":
        fileOf(arg(0)).position = call.result;
        break;
      case "write":
      case "writev": {
        const file = fileOf(arg(0));
        const data = writtenData(arg(1)).subarray(0, call.result);
        const at = file.append && file.inode ? file.inode.volatile.length : file.position;
        write(file, at, data);
        file.position = at + data.length;
        break;
      }
      case "pwrite64":
      case "pwritev":
      case "pwritev2": {
        // (fd, buffer or iovecs, count, offset[, flags])
        write(fileOf(arg(0)), Number(arg(3)), writtenData(arg(1)).subarray(0, call.result));
        break;
      }
      case "ftruncate": {
        const inode = fileOf(arg(0)).inode;
        if (!inode || inode.directory) break;
        const resized = Buffer.alloc(Number(arg(1)));
        inode.volatile.copy(resized, 0, 0, Math.min(resized.length, inode.volatile.length));
        inode.volatile = resized;
        break;
      }
      case "copy_file_range": {
        // copy_file_range(in, offIn or NULL, out, offOut or NULL, length, flags): fs.copyFile.
        const source = fileOf(arg(0));
        const target = fileOf(arg(2));
        const offIn = /\[(\d+)/.exec(arg(1))?.[1];
        const offOut = /\[(\d+)/.exec(arg(3))?.[1];
        const from = offIn === undefined ? source.position : Number(offIn) - call.result;
        const to = offOut === undefined ? target.position : Number(offOut) - call.result;
        write(target, to, (source.inode?.volatile ?? Buffer.alloc(0)).subarray(from, from + call.result));
        if (offIn === undefined) source.position += call.result;
        if (offOut === undefined) target.position += call.result;
        break;
      }
      case "sendfile": {
        const target = fileOf(arg(0));
        const source = fileOf(arg(1));
        if (!target.inode) break;
        const offIn = /\[(\d+)/.exec(arg(2))?.[1];
        const from = offIn === undefined ? source.position : Number(offIn) - call.result;
        write(target, target.position, (source.inode?.volatile ?? Buffer.alloc(0)).subarray(from, from + call.result));
        target.position += call.result;
        if (offIn === undefined) source.position += call.result;
        break;
      }
      case "fsync":
      case "fdatasync": {
        const full = pathOf(arg(0));
        const file = files.get(fdOf(arg(0)));
        const inode = file?.inode ?? inodeAt(full);
        if (!inode) break;
        if (!inode.directory) {
          inode.durable = Buffer.from(inode.volatile);
          break;
        }
        // A directory: its entries, as they are now, are durable.
        const dir = inside(full);
        if (dir === undefined) break;
        const childOf = (name: string) => path.dirname(name) === (dir === "" ? "." : dir);
        for (const name of [...durableNames.keys()])
          if (name !== "" && childOf(name) && !names.has(name)) durableNames.delete(name);
        for (const [name, child] of names) if (name !== "" && childOf(name)) durableNames.set(name, child);
        break;
      }
      case "rename":
      case "renameat":
      case "renameat2":
      case "link":
      case "linkat": {
        const [fromName, toName] = [pathArg(0), pathArg(1)];
        // renameat/linkat(olddirfd, oldpath, newdirfd, newpath): the directories; rename/link(oldpath, newpath) have none.
        const base = (index: number) =>
          call.name === "rename" || call.name === "link" ? undefined : pathOf(arg(index));
        const from = inside(path.resolve(base(0) ?? cwd, fromName));
        const to = inside(path.resolve(base(2) ?? cwd, toName));
        if (from === undefined || to === undefined) break;
        if (call.name.startsWith("link")) {
          // A second name of the same inode: its bytes are the file's, durable as the file's are; the name is new.
          const inode = names.get(from);
          if (inode) names.set(to, inode);
          break;
        }
        for (const [name, inode] of [...names]) {
          if (name === from || name.startsWith(`${from}/`)) {
            names.delete(name);
            names.set(to + name.slice(from.length), inode);
          }
        }
        break;
      }
      case "mkdir":
      case "mkdirat": {
        const base = call.name === "mkdir" ? undefined : pathOf(arg(0));
        const name = inside(path.resolve(base ?? cwd, pathArg(0)));
        if (name !== undefined)
          names.set(name, { directory: true, volatile: Buffer.alloc(0), durable: Buffer.alloc(0) });
        break;
      }
      case "unlink":
      case "unlinkat":
      case "rmdir": {
        const base = call.name === "unlinkat" ? pathOf(arg(0)) : undefined;
        const name = inside(path.resolve(base ?? cwd, pathArg(0)));
        if (name !== undefined) names.delete(name);
        break;
      }
    }
  }
}

/** The writes to sockets whose bytes the caller may want to read (an answer's body): each send's line and data. */
export function sentData(trace: string, accept: (descriptor: string) => boolean): { line: number; data: string }[] {
  const sends: { line: number; data: string }[] = [];
  for (const call of traceCalls(trace)) {
    if (!["write", "writev", "sendto", "sendmsg"].includes(call.name)) continue;
    const argv = splitArguments(call.args);
    const [descriptor, data] = [nth(argv, 0, call), nth(argv, 1, call)];
    if (!accept(descriptor)) continue;
    sends.push({ line: call.line, data: writtenData(data).toString("latin1") });
  }
  return sends;
}
