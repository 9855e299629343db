import { describe, expect, it } from "vitest";
import { cloudFailureCodes, errorCodes, isTransferWaitCode, transferWaitCodes } from "../src/index.ts";

describe("transfer error codes", () => {
  it("name cloud failures apart from the server's error codes", () => {
    for (const code of Object.keys(cloudFailureCodes)) {
      expect(code).toMatch(/^CLOUD_[A-Z_]+$/);
      expect(Object.hasOwn(errorCodes, code), code).toBe(false);
    }
  });

  it("tell a wait from a failure", () => {
    for (const code of transferWaitCodes) expect(isTransferWaitCode(code)).toBe(true);
    for (const code of ["CLOUD_TRANSIENT", "CLOUD_PERMANENT", "INTERNAL", "STAGING", null, undefined, 3]) {
      expect(isTransferWaitCode(code), String(code)).toBe(false);
    }
  });
});
