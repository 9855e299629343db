// A path as a cloud file name (the command line client's convention, read by the server too).
import { describe, expect, it } from "vitest";
import { cloudNameToPath, pathToCloudName } from "../src/index.ts";

describe("cloud names of paths", () => {
  it("round-trips paths, keeps distinct paths distinct, and leaves no slash", () => {
    const paths = ["a/b.txt", "a%2Fb.txt", "a%b/c", "plain.txt", "%25/%2F"];
    const names = paths.map(pathToCloudName);
    expect(new Set(names).size).toBe(paths.length);
    for (const name of names) expect(name).not.toContain("/");
    expect(names.map(cloudNameToPath)).toEqual(paths);
  });
});
