// The partial copies of an inbound file in staging (<target>.<uuid>.partial).
// What an earlier attempt copied before it was cut off (its tries ran out,
// or its process was killed) is kept, and the next attempt fetches only the
// rest from the cloud (a Range read): the longest leftover copy is taken
// over by renaming it to the new attempt's name, the others are removed. A
// copy that a worker which lost its claim may still be appending to is
// taken over all the same: the whole file's sha256, checked before it is
// staged, tells, and a resumed copy that does not match is dropped and
// fetched whole by the next attempt.
//
// The user's staging folder holds every file staged for them, so it is
// listed once an attempt (PartialCopies.list), not once a file: a listing a
// file made a transfer of N files cost N listings of up to N names. A copy
// left after the listing (by a worker that lost its claim) is not taken over
// by this attempt; the next attempt's listing, or the staging sweeper, finds it.
import { readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { isMissingFile } from "../errors/missingFile.ts";

const partialSuffix = ".partial";

/** The leftover partial copies of one folder, by the name of the file each is a copy of. */
export class PartialCopies {
  private constructor(
    private readonly dir: string,
    private readonly byTarget: Map<string, string[]>,
    private readonly names: ReadonlySet<string>,
  ) {}

  /** Whether the folder held `name` when it was listed. */
  listed(name: string): boolean {
    return this.names.has(name);
  }

  /** Lists the folder's partial copies (none if the folder does not exist yet). */
  static async list(dir: string): Promise<PartialCopies> {
    const byTarget = new Map<string, string[]>();
    let entries: string[] = [];
    try {
      entries = await readdir(dir);
    } catch (error) {
      if (!isMissingFile(error)) throw error;
    }
    for (const entry of entries) {
      const target = targetOf(entry);
      if (target === null) continue;
      const copies = byTarget.get(target);
      if (copies) copies.push(entry);
      else byTarget.set(target, [entry]);
    }
    return new PartialCopies(dir, byTarget, new Set(entries));
  }

  /** Moves the longest leftover copy of `target` (not longer than `size`) to `partial`; returns its length (0: none). */
  async takeOver(target: string, partial: string, size: number): Promise<number> {
    if (path.dirname(target) !== this.dir) throw new Error(`${target} is not in ${this.dir}`);
    const name = path.basename(target);
    const entries = this.byTarget.get(name) ?? [];
    this.byTarget.delete(name); // taken over or removed now: not offered again
    const leftovers: { file: string; bytes: number }[] = [];
    for (const entry of entries) {
      const file = path.join(this.dir, entry);
      const bytes = await stat(file).then(
        (info) => info.size,
        () => -1,
      );
      if (bytes >= 0) leftovers.push({ file, bytes });
    }
    leftovers.sort((a, b) => b.bytes - a.bytes);
    const longest = leftovers.find((leftover) => leftover.bytes > 0 && leftover.bytes <= size);
    let taken = 0;
    if (longest) {
      taken = await rename(longest.file, partial).then(
        () => longest.bytes,
        () => 0,
      );
    }
    for (const leftover of leftovers) if (leftover !== longest) await rm(leftover.file, { force: true });
    return taken;
  }
}

/** The file a partial copy's name is a copy of (`<target>.<uuid>.partial`), or null for another name. */
export function targetOf(entry: string): string | null {
  if (!entry.endsWith(partialSuffix)) return null;
  const withoutSuffix = entry.slice(0, -partialSuffix.length);
  const dot = withoutSuffix.lastIndexOf(".");
  return dot > 0 ? withoutSuffix.slice(0, dot) : null;
}
