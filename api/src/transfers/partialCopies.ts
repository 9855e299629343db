// The partial copies of an inbound file in staging (<target>.<uuid>.partial).
// What an earlier attempt copied before it was cut off (its tries ran out,
// or its process was killed) is kept, and the next attempt fetches only the
// rest from the cloud (a Range read): the longest leftover copy is taken
// over by renaming it to the new attempt's name, the others are removed. A
// copy that a worker which lost its claim may still be appending to is
// taken over all the same: the whole file's sha256, checked before it is
// staged, tells, and a resumed copy that does not match is dropped and
// fetched whole by the next attempt.
import { readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";

/** Moves the longest leftover copy of `target` (not longer than `size`) to `partial`; returns its length (0: none). */
export async function takeOverPartialCopy(target: string, partial: string, size: number): Promise<number> {
  const dir = path.dirname(target);
  const prefix = `${path.basename(target)}.`;
  const leftovers: { file: string; bytes: number }[] = [];
  for (const entry of await readdir(dir)) {
    if (!entry.startsWith(prefix) || !entry.endsWith(".partial")) continue;
    const file = path.join(dir, entry);
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
