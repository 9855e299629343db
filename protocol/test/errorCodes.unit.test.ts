// The error codes of the wire contract.
import { describe, expect, it } from "vitest";
import { errorCodes, isErrorCode } from "../src/index.ts";

describe("error codes", () => {
  it("knows the protocol's codes and nothing else", () => {
    expect(isErrorCode("LOCK_HELD")).toBe(true);
    expect(isErrorCode("INTERNAL_SERVER_ERROR")).toBe(false); // Yoga's mask, not a SmsyncError
    expect(isErrorCode("toString")).toBe(false);
    expect(isErrorCode(undefined)).toBe(false);
  });

  it("names each code as the GraphQL enum value it becomes, with its meaning", () => {
    for (const [code, meaning] of Object.entries(errorCodes)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(meaning.length).toBeGreaterThan(0);
    }
  });
});
