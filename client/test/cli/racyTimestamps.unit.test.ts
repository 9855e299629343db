// Which modification times the folder's manifest may record (a later write
// could not carry the same one) and which it records as 0, to hash the file
// again next time.
import { describe, expect, it } from "vitest";
import { trustedMtime } from "../../src/cli/racyTimestamps.ts";

describe("trustedMtime", () => {
  const lookedAt = 1_800_000_000_000;

  it("keeps a time older than the file system's tick by the time the file was looked at", () => {
    expect(trustedMtime(lookedAt - 5_000.25, lookedAt)).toBe(lookedAt - 5_000.25);
    expect(trustedMtime(lookedAt - 20.5, lookedAt)).toBe(lookedAt - 20.5);
  });

  it("records 0 for a time within a tick of the look, or after it", () => {
    expect(trustedMtime(lookedAt - 3.5, lookedAt)).toBe(0);
    expect(trustedMtime(lookedAt + 60_000.5, lookedAt)).toBe(0);
  });

  it("takes a time in whole seconds for a coarse file system's (FAT, HFS+): two seconds must have passed", () => {
    expect(trustedMtime(lookedAt - 1_000, lookedAt)).toBe(0);
    expect(trustedMtime(lookedAt - 3_000, lookedAt)).toBe(lookedAt - 3_000);
  });
});
