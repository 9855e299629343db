// What a synced folder holds, for comparing two devices' folders: every file
// but the CLI's own state (.smsync/), by its path relative to the folder.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** Every file with its content as text. */
export function contents(dir: string): Record<string, string> {
  return mapFiles(dir, (file) => readFileSync(file, "utf8"));
}

/** Every file with its bytes in base64 (compact in a failed comparison). */
export function bytesOf(dir: string): Record<string, string> {
  return mapFiles(dir, (file) => readFileSync(file).toString("base64"));
}

function mapFiles(dir: string, read: (file: string) => string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const relative = path.relative(dir, file).split(path.sep).join("/");
    if (relative.startsWith(".smsync/")) continue;
    try {
      result[relative] = read(file);
    } catch (error) {
      // A file renamed away between the listing and the read (a sync writing the folder): not there.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return Object.fromEntries(Object.entries(result).sort(([a], [b]) => (a < b ? -1 : 1)));
}
