// The message of the ConfigError a configuration is refused with; fails the
// test if it is accepted.
import { expect } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/config.ts";

export function configErrorOf(environment: Record<string, string>): string {
  try {
    loadConfig(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("the configuration was accepted");
}
