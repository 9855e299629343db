// The crash-state replay (support/crashStates.ts) checked against a script
// whose crash states are known: a traced process writes, fsyncs files and
// directories, renames and hard links, and prints a marker at each point; the states at
// the markers must hold exactly what was fsynced by then.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  crashStatesAt,
  crashTraceSyscalls,
  sentData,
  snapshotTree,
  straceBytes,
  type Tree,
} from "../support/crashStates.ts";

const hasStrace = spawnSync("strace", ["-V"]).status === 0;

const script = `
const fs = require("node:fs");
const root = process.argv[1];
const mark = (name) => fs.writeSync(1, name + "\\n");
fs.mkdirSync(root + "/d");
const a = fs.openSync(root + "/a", "w");
fs.writeSync(a, "one");
fs.fsyncSync(a);
const dir = fs.openSync(root, "r");
fs.fsyncSync(dir);
mark("P1");
fs.writeSync(a, "two");
const b = fs.openSync(root + "/b", "w");
fs.writeSync(b, Buffer.from([0, 1, 255, 10, 34, 92]));
fs.fsyncSync(b);
mark("P2");
fs.renameSync(root + "/a", root + "/c");
fs.fsyncSync(dir);
mark("P3");
fs.fsyncSync(a);
fs.writeSync(b, "!", 1);
mark("P4");
fs.linkSync(root + "/c", root + "/d/e");
mark("P5");
const sub = fs.openSync(root + "/d", "r");
fs.fsyncSync(sub);
mark("P6");
fs.unlinkSync(root + "/c");
fs.fsyncSync(dir);
mark("P7");
`;

const contents = (tree: Tree) =>
  Object.fromEntries([...tree].map(([name, content]) => [name, content === null ? "dir" : content.toString("latin1")]));

describe.skipIf(!hasStrace)("crash states replayed from a trace", () => {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), "smsync-crash-model-")));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("keep exactly the bytes and names fsynced before each point", () => {
    const traceFile = `${root}.strace`;
    const initial = snapshotTree(root);
    const run = spawnSync("strace", [
      "-f",
      "-tt",
      "-yy",
      "-s",
      "65536",
      "-e",
      `trace=${crashTraceSyscalls}`,
      "-o",
      traceFile,
      process.execPath,
      "-e",
      script,
      root,
    ]);
    expect(run.status, run.stderr.toString()).toBe(0);
    const trace = readFileSync(traceFile, "utf8");
    rmSync(traceFile);
    const markers = sentData(trace, (descriptor) => descriptor.startsWith("1<")).map((send) => ({
      line: send.line,
      label: send.data.trim(),
    }));
    expect(markers.map((marker) => marker.label)).toEqual(["P1", "P2", "P3", "P4", "P5", "P6", "P7"]);

    const states = crashStatesAt(trace, root, initial, markers);
    expect(states.map((state) => [state.label, contents(state.tree)])).toEqual([
      // a's bytes and its name were fsynced, and d's name with it.
      ["P1", { a: "one", d: "dir" }],
      // "two" was written but not fsynced; b's bytes were, its name was not.
      ["P2", { a: "one", d: "dir" }],
      // The directory fsynced after the rename: c is a's file, with a's durable bytes; b's name is now durable.
      ["P3", { b: '\u0000\u0001\u00ff\n"\\', c: "one", d: "dir" }],
      // fsync of the open descriptor reaches the renamed file; b's later write was not fsynced.
      ["P4", { b: '\u0000\u0001\u00ff\n"\\', c: "onetwo", d: "dir" }],
      // A hard link's name is not durable before its directory's fsync...
      ["P5", { b: '\u0000\u0001\u00ff\n"\\', c: "onetwo", d: "dir" }],
      // ...and then it is, with the bytes of the file it names.
      ["P6", { b: '\u0000\u0001\u00ff\n"\\', c: "onetwo", d: "dir", "d/e": "onetwo" }],
      // Removing the other name leaves it whole.
      ["P7", { b: '\u0000\u0001\u00ff\n"\\', d: "dir", "d/e": "onetwo" }],
    ]);
  });

  it("reads strace's escapes: C escapes, octal and hex bytes", () => {
    expect([...straceBytes(String.raw`a\0\1\12\377\x41\"\\\n\t`)]).toEqual([97, 0, 1, 10, 255, 0x41, 34, 92, 10, 9]);
  });
});
