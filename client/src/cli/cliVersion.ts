// The version `smsync --version` prints: the client package's own, read from
// its package.json when asked. The CLI runs from src/cli/ (tsx, tests) or from
// dist/cli/ (the built bin); package.json is two folders up from either.
import { readFileSync } from "node:fs";

export function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return manifest.version;
}
