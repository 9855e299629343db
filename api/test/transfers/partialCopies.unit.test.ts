// PartialCopies: the leftover copies of a staging folder, listed once for a
// whole inbound transfer, and taken over file by file.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PartialCopies, targetOf } from "../../src/transfers/partialCopies.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder(files: Record<string, number>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "smsync-partials-"));
  dirs.push(dir);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(dir, name), Buffer.alloc(bytes));
  return dir;
}

describe("PartialCopies", () => {
  it("names the file a partial copy is of", () => {
    expect(targetOf("f1.v3.0b7f.partial")).toBe("f1.v3");
    expect(targetOf("f1.v3")).toBeNull();
    expect(targetOf("x.partial")).toBeNull();
  });

  it("takes over the longest copy not longer than the file, removes the others, leaves other files' copies", async () => {
    const dir = folder({
      "a.v1.u1.partial": 10,
      "a.v1.u2.partial": 30,
      "a.v1.u3.partial": 99,
      "a.v10.u4.partial": 20,
      "a.v1": 5,
    });
    const partials = await PartialCopies.list(dir);
    const target = path.join(dir, "a.v1");
    expect(await partials.takeOver(target, `${target}.new.partial`, 50)).toBe(30);
    expect(readdirSync(dir).sort()).toEqual(["a.v1", "a.v1.new.partial", "a.v10.u4.partial"]);
    // Offered once: the copy this attempt made is its own, not a leftover.
    expect(await partials.takeOver(target, `${target}.newer.partial`, 50)).toBe(0);
    expect(readdirSync(dir)).toContain("a.v1.new.partial");
  });

  it("lists the folder once: a copy left after the listing is the next attempt's", async () => {
    const dir = folder({});
    const partials = await PartialCopies.list(dir);
    writeFileSync(path.join(dir, "b.v0.late.partial"), Buffer.alloc(8));
    const target = path.join(dir, "b.v0");
    expect(await partials.takeOver(target, `${target}.mine.partial`, 8)).toBe(0);
    expect(await (await PartialCopies.list(dir)).takeOver(target, `${target}.next.partial`, 8)).toBe(8);
  });

  it("finds nothing in a folder not made yet", async () => {
    const dir = path.join(folder({}), "user");
    const partials = await PartialCopies.list(dir);
    mkdirSync(dir);
    expect(await partials.takeOver(path.join(dir, "c.v0"), path.join(dir, "c.v0.x.partial"), 1)).toBe(0);
  });
});
