// The rules of cloud file names, as both the server and the client apply them.
import { describe, expect, it } from "vitest";
import { checkCloudFileName, CloudFileNameIndex, cloudFileNameKey, cloudFileNameOwner } from "../src/index.ts";

const nfd = "cafe\u0301.txt";
const nfc = "caf\u00e9.txt";

describe("checkCloudFileName", () => {
  it("stores a name in NFC", () => {
    expect(checkCloudFileName(nfd)).toEqual({ ok: true, name: nfc });
    expect(checkCloudFileName(nfc)).toEqual({ ok: true, name: nfc });
  });

  it("refuses C0 and C1 control characters, DEL, separators, relative paths, outer white space and empty names", () => {
    for (const name of [
      "a\u0000b",
      "a\nb",
      "a\u007fb",
      "a\u0080b",
      "a\u0085b",
      "a\u009bb",
      "a\u009fb",
      "a/b",
      "a\\b",
      ".",
      "..",
      " x",
      "x ",
      "x\u00a0",
      "",
    ]) {
      expect(checkCloudFileName(name).ok, JSON.stringify(name)).toBe(false);
    }
  });

  it("refuses half of a surrogate pair, and takes a whole one", () => {
    expect(checkCloudFileName("a\ud800b").ok).toBe(false);
    expect(checkCloudFileName("a\udc00").ok).toBe(false);
    expect(checkCloudFileName("\u{1F600}.png")).toEqual({ ok: true, name: "\u{1F600}.png" });
  });

  it("counts the limit in bytes of UTF-8 of the stored form", () => {
    expect(checkCloudFileName("x".repeat(255)).ok).toBe(true);
    expect(checkCloudFileName("x".repeat(256)).ok).toBe(false);
    expect(checkCloudFileName("\u00e9".repeat(127)).ok).toBe(true);
    expect(checkCloudFileName("\u00e9".repeat(128)).ok).toBe(false);
    // 127 decomposed é are 381 bytes as given, 254 once stored in NFC.
    expect(checkCloudFileName("e\u0301".repeat(127)).ok).toBe(true);
  });

  it("takes characters next to the control ranges", () => {
    for (const name of ["a\u00a1b", "\u00a0x\u00a0y".trim(), "~", "..hidden", "r\u00e9sum\u00e9 2024.txt"]) {
      expect(checkCloudFileName(name).ok, JSON.stringify(name)).toBe(true);
    }
  });
});

describe("cloudFileNameKey", () => {
  it("is the same for names differing in case or in normalization", () => {
    expect(cloudFileNameKey("Report.TXT")).toBe(cloudFileNameKey("report.txt"));
    expect(cloudFileNameKey(nfd)).toBe(cloudFileNameKey(nfc));
    expect(cloudFileNameKey("CAFE\u0301.TXT")).toBe(cloudFileNameKey(nfc));
    expect(cloudFileNameKey("\u03a3\u03bf\u03c6\u03af\u03b1")).toBe(cloudFileNameKey("\u03c3\u03bf\u03c6\u03af\u03b1"));
    expect(cloudFileNameKey("\u1e9e")).toBe(cloudFileNameKey("\u00df"));
    // The Kelvin sign is K in NFC.
    expect(cloudFileNameKey("\u212a.txt")).toBe(cloudFileNameKey("k.txt"));
  });

  it("folds printable ASCII as it folds any other text (ASCII takes a shorter way)", () => {
    for (let code = 0x20; code <= 0x7e; code++) {
      const character = String.fromCharCode(code);
      expect(cloudFileNameKey(`${character}\u00e9`)).toBe(`${cloudFileNameKey(character)}\u00e9`);
    }
  });

  it("keeps apart names that differ otherwise", () => {
    expect(cloudFileNameKey("report.txt")).not.toBe(cloudFileNameKey("report.txt.bak"));
    // Simple folding only: "ß" is not "ss", nor "İ" an "i".
    expect(cloudFileNameKey("stra\u00dfe")).not.toBe(cloudFileNameKey("strasse"));
    expect(cloudFileNameKey("\u0130")).not.toBe(cloudFileNameKey("i"));
  });
});

describe("cloudFileNameOwner", () => {
  const live = [
    { fileUUID: "a", cloudFileName: "Report.txt" },
    { fileUUID: "b", cloudFileName: nfc },
  ];

  it("names the other live file with the same name by key", () => {
    expect(cloudFileNameOwner("c", "report.txt", undefined, live)?.fileUUID).toBe("a");
    expect(cloudFileNameOwner("c", "CAF\u00c9.txt", undefined, live)?.fileUUID).toBe("b");
    expect(cloudFileNameOwner("c", "other.txt", undefined, live)).toBeUndefined();
  });

  it("lets a file keep or change the case of its own name", () => {
    expect(cloudFileNameOwner("a", "REPORT.txt", "Report.txt", live)).toBeUndefined();
  });

  it("lets a file keep the exact name it has even when a twin shares its key, but not move onto the twin's", () => {
    const twins = [...live, { fileUUID: "t", cloudFileName: "report.txt" }];
    expect(cloudFileNameOwner("t", "report.txt", "report.txt", twins)).toBeUndefined();
    expect(cloudFileNameOwner("t", "REPORT.TXT", "report.txt", twins)?.fileUUID).toBe("a");
  });
});

describe("CloudFileNameIndex", () => {
  it("answers as cloudFileNameOwner does over the files added, in the order added", () => {
    const index = new CloudFileNameIndex([{ fileUUID: "a", cloudFileName: "Report.txt" }]);
    expect(index.owner("c", "REPORT.TXT", undefined)?.fileUUID).toBe("a");
    expect(index.owner("a", "report.txt", "Report.txt")).toBeUndefined();
    expect(index.owner("c", "caf\u00e9.txt", undefined)).toBeUndefined();
    index.add({ fileUUID: "b", cloudFileName: nfc });
    index.add({ fileUUID: "d", cloudFileName: "CAF\u00c9.TXT" });
    expect(index.owner("c", "CAF\u00c9.txt", undefined)?.fileUUID).toBe("b");
    expect(index.owner("b", nfc, undefined)?.fileUUID).toBe("d");
    expect(index.owner("b", nfc, nfc)).toBeUndefined();
  });
});
