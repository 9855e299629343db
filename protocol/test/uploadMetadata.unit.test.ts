// The tus Upload-Metadata of an upload, as the client encodes it and the
// server decodes and reads it. The header is built here as tus-js-client
// sends it: each value's UTF-8 bytes in Base64.
import { describe, expect, it } from "vitest";
import {
  decodeUploadMetadataHeader,
  encodeUploadMetadata,
  readUploadMetadata,
  UploadMetadataError,
  type UploadMetadata,
} from "../src/index.ts";

const utf8 = new TextEncoder();

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/** The header tus-js-client sends for these pairs. */
function header(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([key, value]) => `${key} ${base64(utf8.encode(value))}`)
    .join(",");
}

const metadata: UploadMetadata = {
  fileUUID: "0F8FAD5B-D9CB-469F-A165-70867728950E",
  version: 3,
  sha256: "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
  cloudFileName: "cafe\u0301.txt",
  mimeType: "text/plain",
  fencingToken: 42,
};

function thrown(run: () => unknown): UploadMetadataError {
  try {
    run();
  } catch (error) {
    if (error instanceof UploadMetadataError) return error;
    throw error;
  }
  throw new Error("nothing was thrown");
}

describe("encodeUploadMetadata", () => {
  it("gives the pairs of the wire format: numbers in decimal, sha256 lowercased, optional keys only when set", () => {
    expect(encodeUploadMetadata(metadata)).toEqual({
      fileUUID: metadata.fileUUID,
      version: "3",
      sha256: metadata.sha256.toLowerCase(),
      cloudFileName: metadata.cloudFileName,
      mimeType: "text/plain",
      fencingToken: "42",
    });
    expect(encodeUploadMetadata({ ...metadata, appMetaData: '{"a":1}', undelete: true })).toMatchObject({
      appMetaData: '{"a":1}',
      undelete: "true",
    });
    expect(encodeUploadMetadata({ ...metadata, appMetaData: null, undelete: false })).not.toHaveProperty("appMetaData");
    expect(encodeUploadMetadata({ ...metadata, undelete: false })).not.toHaveProperty("undelete");
  });

  it("round-trips through the header into the stored form", () => {
    const read = readUploadMetadata(
      decodeUploadMetadataHeader(header(encodeUploadMetadata({ ...metadata, appMetaData: "[]", undelete: true }))),
    );
    expect(read).toEqual({
      fileUUID: metadata.fileUUID.toLowerCase(),
      version: 3,
      sha256: metadata.sha256.toLowerCase(),
      cloudFileName: "caf\u00e9.txt",
      mimeType: "text/plain",
      appMetaData: "[]",
      fencingToken: 42,
      undelete: true,
    });
  });
});

describe("decodeUploadMetadataHeader", () => {
  it("decodes each value as UTF-8, a key without a value as null, and an empty header as no pairs", () => {
    expect(decodeUploadMetadataHeader(`name ${base64(utf8.encode("r\u00e9sum\u00e9 \u{1F600}"))},flag,empty `)).toEqual(
      {
        name: "r\u00e9sum\u00e9 \u{1F600}",
        flag: null,
        empty: "",
      },
    );
    expect(decodeUploadMetadataHeader("")).toEqual({});
    expect(decodeUploadMetadataHeader(" ")).toEqual({});
    expect(decodeUploadMetadataHeader(undefined)).toEqual({});
  });

  it("keeps a leading byte order mark", () => {
    expect(decodeUploadMetadataHeader(`name ${base64(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))}`).name).toBe("\ufeffa");
  });

  it("refuses bytes that are not UTF-8, naming the key, rather than replacing them with U+FFFD", () => {
    const invalid = [[0xff], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0x61, 0xe2, 0x82]];
    for (const bytes of invalid) {
      const error = thrown(() => decodeUploadMetadataHeader(`cloudFileName ${base64(new Uint8Array(bytes))}`));
      expect(error).toMatchObject({
        field: "cloudFileName",
        message: "Upload-Metadata cloudFileName is not valid UTF-8",
      });
    }
  });

  it("refuses what tus refuses: a bad key, a value that is not Base64, more than a key and a value, a key twice", () => {
    for (const malformed of ["k\u00e9y YQ==", "a b c", "key YQ", "key Y*==", "a YQ==,a YQ==", ",", "a YQ==,"]) {
      expect(
        thrown(() => decodeUploadMetadataHeader(malformed)),
        malformed,
      ).toMatchObject({ message: "Upload-Metadata is malformed", field: undefined });
    }
  });

  it("keeps a key named like an object property as a key", () => {
    const pairs = decodeUploadMetadataHeader(`__proto__ ${base64(utf8.encode("x"))}`);
    expect(Object.keys(pairs)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });
});

describe("readUploadMetadata", () => {
  const pairs = encodeUploadMetadata(metadata);

  it("names the first missing or broken key, in the table's order", () => {
    expect(thrown(() => readUploadMetadata({}))).toMatchObject({
      field: "fileUUID",
      message: "Upload-Metadata lacks fileUUID",
    });
    expect(thrown(() => readUploadMetadata({ ...pairs, fileUUID: "nope", version: "" }))).toMatchObject({
      field: "fileUUID",
    });
    expect(thrown(() => readUploadMetadata({ ...pairs, version: "-1" }))).toMatchObject({
      field: "version",
      message: "version must be a whole number",
    });
    expect(thrown(() => readUploadMetadata({ ...pairs, sha256: "abc" }))).toMatchObject({ field: "sha256" });
    expect(thrown(() => readUploadMetadata({ ...pairs, cloudFileName: "a/b" }))).toMatchObject({
      field: "cloudFileName",
    });
    expect(thrown(() => readUploadMetadata({ ...pairs, mimeType: "text" }))).toMatchObject({ field: "mimeType" });
    expect(thrown(() => readUploadMetadata({ ...pairs, appMetaData: "{" }))).toMatchObject({
      field: "appMetaData",
      message: "appMetaData is not valid JSON",
    });
    expect(thrown(() => readUploadMetadata({ ...pairs, fencingToken: null }))).toMatchObject({ field: "fencingToken" });
  });

  it("counts appMetaData's limit in bytes of UTF-8", () => {
    const big = JSON.stringify("\u00e9".repeat(32 * 1024));
    expect(thrown(() => readUploadMetadata({ ...pairs, appMetaData: big }))).toMatchObject({
      field: "appMetaData",
      message: "appMetaData is larger than 65536 bytes",
    });
    expect(readUploadMetadata({ ...pairs, appMetaData: JSON.stringify("x".repeat(65_534)) }).appMetaData).toHaveLength(
      65_536,
    );
  });

  it("gives optional keys their defaults: no appMetaData, not an undelete unless exactly true", () => {
    expect(readUploadMetadata({ ...pairs, appMetaData: "" })).toMatchObject({ appMetaData: null, undelete: false });
    expect(readUploadMetadata({ ...pairs, undelete: "yes" }).undelete).toBe(false);
  });
});
