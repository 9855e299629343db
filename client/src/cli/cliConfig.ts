// Where the command line client keeps its login: a JSON file, by default
// $XDG_CONFIG_HOME/smsync/config.json (~/.config/smsync/config.json), or the
// path in SMSYNC_CONFIG. The token is a secret: the file is written 0600.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

export interface CliConfig {
  server: string;
  token: string;
}

export function configPath(environment: NodeJS.ProcessEnv = process.env): string {
  if (environment.SMSYNC_CONFIG) return path.resolve(environment.SMSYNC_CONFIG);
  const base = environment.XDG_CONFIG_HOME ?? path.join(homedir(), ".config");
  return path.join(base, "smsync", "config.json");
}

export function readConfig(file = configPath()): CliConfig | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null; // not logged in yet
    throw error;
  }
  let parsed: Partial<CliConfig> | null;
  try {
    parsed = JSON.parse(text) as Partial<CliConfig> | null;
  } catch (error) {
    if (error instanceof SyntaxError) return null; // not a configuration: log in again to rewrite it
    throw error;
  }
  return typeof parsed?.server === "string" && typeof parsed.token === "string"
    ? { server: parsed.server, token: parsed.token }
    : null;
}

export function writeConfig(config: CliConfig, file = configPath()): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
