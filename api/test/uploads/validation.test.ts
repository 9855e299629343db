// The Upload-Metadata of a creation is validated before anything is written
// (SPEC section 6: no path traversal, no NUL, bounded names): each bad value
// gets a 400 with a JSON body naming BAD_INPUT and the field.
import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  encodeMetadata,
  errorBodyOf,
  matchers,
  rowCounts,
  startTestServer,
  type TestServer,
  uploadMetadata,
} from "@smsync/testkit";

let server: TestServer;
let token: string;
let fencingToken: number;

beforeAll(async () => {
  server = await startTestServer();
  const device = await server.newUser();
  token = device.token!;
  ({ fencingToken } = await device.lock());
});
afterAll(async () => {
  await server?.close();
});

const content = Buffer.from("some content\n");

function validMetadata(): Record<string, string> {
  return uploadMetadata({ fileUUID: randomUUID(), version: 0, content, fencingToken });
}

async function create(metadata: Record<string, string | null> | undefined) {
  return createWithHeader(metadata ? encodeMetadata(metadata) : undefined);
}

async function createWithHeader(metadataHeader: string | undefined) {
  return fetch(`${server.url}/uploads`, {
    method: "POST",
    headers: {
      "Tus-Resumable": "1.0.0",
      authorization: `Bearer ${token}`,
      "Upload-Length": String(content.length),
      ...(metadataHeader ? { "Upload-Metadata": metadataHeader } : {}),
    },
  });
}

async function expectRejected(metadata: Record<string, string | null> | undefined, field?: string) {
  const before = await rowCounts(server.app.services.db);
  const response = await create(metadata);
  expect(response.status).toBe(400);
  expect(response.headers.get("location")).toBeNull();
  const body = await errorBodyOf(response);
  expect(body).toMatchObject({ code: "BAD_INPUT", message: matchers.any(String) });
  if (field) expect(body.field).toBe(field);
  expect(await rowCounts(server.app.services.db)).toEqual(before);
}

describe("the metadata of an upload creation", () => {
  it("accepts valid metadata (the baseline of the cases below)", async () => {
    const response = await create(validMetadata());
    expect(response.status).toBe(201);
  });

  it("rejects a creation without Upload-Metadata", async () => {
    await expectRejected(undefined, "fileUUID");
  });

  for (const field of ["fileUUID", "version", "sha256", "cloudFileName", "mimeType", "fencingToken"]) {
    it(`rejects metadata without ${field}, or with ${field} empty`, async () => {
      const missing: Record<string, string | null> = validMetadata();
      delete missing[field];
      await expectRejected(missing, field);
      await expectRejected({ ...validMetadata(), [field]: null }, field);
      await expectRejected({ ...validMetadata(), [field]: "" }, field);
    });
  }

  it("rejects a fileUUID that is not a UUID", async () => {
    for (const fileUUID of ["not-a-uuid", "../../etc/passwd", `${randomUUID()}x`, randomUUID().replaceAll("-", "")]) {
      await expectRejected({ ...validMetadata(), fileUUID }, "fileUUID");
    }
  });

  it("rejects a cloudFileName with a path, a NUL or other control character, or too long", async () => {
    const names = [
      "../x",
      "a/b",
      "/abs",
      "a\\b",
      "..",
      ".",
      "a\u0000b",
      "a\nb",
      "x".repeat(256),
      "é".repeat(128),
      " padded",
    ];
    // C1 controls: NEL, CSI, and the ends of the range.
    names.push("a\u0085b", "a\u009bb", "\u0080x", "x\u009f");
    for (const cloudFileName of names) {
      await expectRejected({ ...validMetadata(), cloudFileName }, "cloudFileName");
    }
  });

  it("rejects Upload-Metadata values that are not valid UTF-8, rather than replacing bytes with U+FFFD", async () => {
    const invalid = {
      "a stray 0xFF": [0x61, 0xff, 0x62],
      "a surrogate pair in CESU-8": [0x61, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80],
      "an overlong /": [0x61, 0xc0, 0xaf, 0x62],
      "a truncated sequence": [0x61, 0xe2, 0x82],
    };
    for (const [what, bytes] of Object.entries(invalid)) {
      const base64 = Buffer.from(bytes).toString("base64");
      for (const field of ["cloudFileName", "appMetaData"]) {
        const metadata = { ...validMetadata(), [field]: "placeholder" };
        const header = encodeMetadata(metadata).replace(
          `${field} ${Buffer.from("placeholder").toString("base64")}`,
          `${field} ${base64}`,
        );
        const before = await rowCounts(server.app.services.db);
        const response = await createWithHeader(header);
        expect(response.status, `${what} in ${field}`).toBe(400);
        expect(await response.json()).toMatchObject({ code: "BAD_INPUT", field });
        expect(await rowCounts(server.app.services.db)).toEqual(before);
      }
    }
  });

  it("accepts a cloudFileName of exactly 255 bytes, and non-ASCII names", async () => {
    for (const cloudFileName of ["x".repeat(255), `${"é".repeat(127)}x`, "résumé 2024.txt", "..hidden"]) {
      const response = await create({ ...validMetadata(), cloudFileName });
      expect(response.status, cloudFileName).toBe(201);
    }
  });

  it("rejects a malformed version, sha256, fencingToken, mimeType or appMetaData", async () => {
    await expectRejected({ ...validMetadata(), version: "-1" }, "version");
    await expectRejected({ ...validMetadata(), version: "1.5" }, "version");
    await expectRejected({ ...validMetadata(), sha256: "abc" }, "sha256");
    await expectRejected({ ...validMetadata(), sha256: "g".repeat(64) }, "sha256");
    await expectRejected({ ...validMetadata(), fencingToken: "one" }, "fencingToken");
    await expectRejected({ ...validMetadata(), mimeType: "not a type" }, "mimeType");
    await expectRejected({ ...validMetadata(), appMetaData: "{not json" }, "appMetaData");
  });

  it("rejects a deferred length: the size must be known to bound it", async () => {
    const before = await rowCounts(server.app.services.db);
    const response = await fetch(`${server.url}/uploads`, {
      method: "POST",
      headers: {
        "Tus-Resumable": "1.0.0",
        authorization: `Bearer ${token}`,
        "Upload-Defer-Length": "1",
        "Upload-Metadata": encodeMetadata(validMetadata()),
      },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "BAD_INPUT" });
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });

  it("left no bytes in staging for any rejected creation", async () => {
    const rows = await server.app.services.db.stagedUpload.findMany({ select: { id: true } });
    const files = readdirSync(server.app.services.staging.uploadsDir).filter((name) => !name.endsWith(".json"));
    expect(files.sort()).toEqual(rows.map((row) => row.id).sort());
  });
});

describe("appMetaData size", () => {
  it("accepts appMetaData up to the 64 KiB limit (a header far above Node's 16 KiB default) and refuses more", async () => {
    const justUnder = JSON.stringify({ note: "x".repeat(64 * 1024 - 20) });
    const accepted = await create({ ...validMetadata(), appMetaData: justUnder });
    expect(accepted.status).toBe(201);
    await expectRejected(
      { ...validMetadata(), appMetaData: JSON.stringify({ note: "x".repeat(64 * 1024) }) },
      "appMetaData",
    );
  });
});
