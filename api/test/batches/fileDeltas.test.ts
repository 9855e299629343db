// Changed files sent as deltas on the batch upload path (docs/protocol.md,
// "Changed files as deltas"), over real HTTP: the server rebuilds the new
// version from ranges of the live version's cloud object and the literal
// bytes of the request, byte for byte (a change at the start, at the end, an
// insertion that shifts what follows, a truncation, blocks moved); a base
// uploaded over tus is read the same way; and every bad delta is refused
// with its code, naming the file, with nothing written.
import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { encodeFrameHead, fileBlocksPath, type DeltaOp, type FileBlocks } from "@smsync/protocol";
import {
  batchEntry,
  errorBodyOf,
  refusedWithoutWrites,
  sha256Hex,
  tusUpload,
  uploadBatchOf,
  useTestServer,
  type TestGraphQLClient,
} from "@smsync/testkit";

const server = useTestServer();
const KiB = 1024;

/** A user whose file `fileUUID` is live at version 0 with `base`, sent by batch (or tus, over 1 MiB). */
async function fileWithBase(base: Buffer) {
  const phone = await server.newUser();
  const fileUUID = randomUUID();
  const { fencingToken } = await phone.lock();
  if (base.length > 1024 * KiB) {
    await tusUpload(server.url, phone.token!, { fileUUID, version: 0, content: base, fencingToken });
  } else {
    expect((await uploadBatchOf(server.url, phone.token!, fencingToken, [batchEntry(base, { fileUUID })])).status).toBe(
      200,
    );
  }
  await committed(phone, fencingToken);
  const { id: userId } = await server.app.services.db.user.findUniqueOrThrow({ where: { name: phone.userName } });
  return { phone, fileUUID, userId };
}

async function committed(client: TestGraphQLClient, fencingToken: number) {
  expect((await client.waitForOperation((await client.commit(fencingToken)).id, 60_000)).state).toBe("SUCCEEDED");
}

/** The literal bytes the ops take from `next`, in order (what the request carries). */
function literalsOf(next: Buffer, ops: DeltaOp[]): Buffer {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const op of ops) {
    if ("copy" in op) at += op.copy[1];
    else {
      pieces.push(next.subarray(at, at + op.literal));
      at += op.literal;
    }
  }
  return Buffer.concat(pieces);
}

/** The delta entry of version 1: `ops` rebuild `next`, whose sha256 and size it declares. */
function deltaEntry(fileUUID: string, next: Buffer, ops: DeltaOp[], overrides: { baseVersion?: number } = {}) {
  return batchEntry(literalsOf(next, ops), {
    fileUUID,
    version: 1,
    sha256: sha256Hex(next),
    size: next.length,
    delta: { baseVersion: overrides.baseVersion ?? 0, ops },
  });
}

/** The bytes of the file's live version, read from the user's cloud. */
async function liveBytes(userId: string, fileUUID: string): Promise<Buffer> {
  const { db, cloud } = server.app.services;
  const entry = await db.fileEntry.findUniqueOrThrow({ where: { userId_fileUUID: { userId, fileUUID } } });
  const pieces: Buffer[] = [];
  for await (const piece of await cloud.readObject(userId, entry.cloudObjectId!)) pieces.push(piece as Buffer);
  return Buffer.concat(pieces);
}

describe("a delta rebuilds the new version", () => {
  const base = randomBytes(512 * KiB);
  const size = base.length;
  const cases: { name: string; next: Buffer; ops: DeltaOp[] }[] = [
    {
      name: "a change at the start",
      next: Buffer.concat([randomBytes(4 * KiB), base.subarray(4 * KiB)]),
      ops: [{ literal: 4 * KiB }, { copy: [4 * KiB, size - 4 * KiB] }],
    },
    {
      name: "a change at the end",
      next: Buffer.concat([base.subarray(0, size - 100), randomBytes(100)]),
      ops: [{ copy: [0, size - 100] }, { literal: 100 }],
    },
    {
      name: "an insertion that shifts everything after it",
      next: Buffer.concat([base.subarray(0, 1000), randomBytes(333), base.subarray(1000)]),
      ops: [{ copy: [0, 1000] }, { literal: 333 }, { copy: [1000, size - 1000] }],
    },
    {
      name: "a truncation",
      next: base.subarray(0, 200 * KiB),
      ops: [{ copy: [0, 200 * KiB] }],
    },
    {
      name: "blocks moved and one repeated",
      next: Buffer.concat([base.subarray(256 * KiB), base.subarray(0, 256 * KiB), base.subarray(0, 64 * KiB)]),
      ops: [{ copy: [256 * KiB, 256 * KiB] }, { copy: [0, 256 * KiB] }, { copy: [0, 64 * KiB] }],
    },
  ];
  for (const { name, next, ops } of cases) {
    it(`${name}: the index and the cloud hold the exact bytes`, async () => {
      const { phone, fileUUID, userId } = await fileWithBase(base);
      const { fencingToken } = await phone.lock();
      const answer = await uploadBatchOf(server.url, phone.token!, fencingToken, [deltaEntry(fileUUID, next, ops)]);
      expect(answer.status, await answer.clone().text()).toBe(200);
      await committed(phone, fencingToken);
      const [indexed] = (await phone.fileIndex()).files;
      expect(indexed).toMatchObject({ fileUUID, version: 1, sha256: sha256Hex(next) });
      expect(sha256Hex(await liveBytes(userId, fileUUID))).toBe(sha256Hex(next));
    });
  }

  it("sent again once held: the held copy stands, and only the delta's literal bytes are read past", async () => {
    const { phone, fileUUID, userId } = await fileWithBase(base);
    const next = Buffer.concat([base.subarray(0, 1000), randomBytes(333), base.subarray(1000)]);
    const entry = deltaEntry(fileUUID, next, [{ copy: [0, 1000] }, { literal: 333 }, { copy: [1000, size - 1000] }]);
    // A new file after it: the server must find its bytes right after the delta's 333.
    const after = batchEntry(randomBytes(5000));
    const { fencingToken } = await phone.lock();
    expect((await uploadBatchOf(server.url, phone.token!, fencingToken, [entry])).status).toBe(200);
    const again = await uploadBatchOf(server.url, phone.token!, fencingToken, [entry, after]);
    expect(again.status, await again.clone().text()).toBe(200);
    await committed(phone, fencingToken);
    expect(sha256Hex(await liveBytes(userId, fileUUID))).toBe(sha256Hex(next));
    expect(sha256Hex(await liveBytes(userId, after.file.fileUUID))).toBe(after.file.sha256);
  });

  it("of a file uploaded over tus, sending only the 4 KiB changed", async () => {
    const large = randomBytes(3 * 1024 * KiB);
    const { phone, fileUUID, userId } = await fileWithBase(large);
    const next = Buffer.from(large);
    randomBytes(4 * KiB).copy(next, 1024 * KiB + 17);
    const ops: DeltaOp[] = [
      { copy: [0, 1024 * KiB + 17] },
      { literal: 4 * KiB },
      { copy: [1028 * KiB + 17, 2044 * KiB - 17] },
    ];
    const entry = deltaEntry(fileUUID, next, ops);
    expect(entry.content.length).toBe(4 * KiB);
    const { fencingToken } = await phone.lock();
    expect((await uploadBatchOf(server.url, phone.token!, fencingToken, [entry])).status).toBe(200);
    await committed(phone, fencingToken);
    expect(sha256Hex(await liveBytes(userId, fileUUID))).toBe(sha256Hex(next));
  });
});

describe("a bad delta is refused, naming the file, and nothing is written", () => {
  const base = randomBytes(64 * KiB);

  async function refused(entry: ReturnType<typeof deltaEntry>, phone: TestGraphQLClient) {
    const { fencingToken } = await phone.lock();
    const answer = await refusedWithoutWrites(server.app.services.db, () =>
      uploadBatchOf(server.url, phone.token!, fencingToken, [entry]),
    );
    return { status: answer.status, body: await errorBodyOf(answer) };
  }

  it("based on a version that is not the live one", async () => {
    const { phone, fileUUID } = await fileWithBase(base);
    const { fencingToken } = await phone.lock();
    const v1 = randomBytes(100);
    expect(
      (await uploadBatchOf(server.url, phone.token!, fencingToken, [batchEntry(v1, { fileUUID, version: 1 })])).status,
    ).toBe(200);
    await committed(phone, fencingToken);
    const entry = batchEntry(v1, { fileUUID, version: 2, delta: { baseVersion: 0, ops: [{ copy: [0, 100] }] } });
    const { status, body } = await refused(entry, phone);
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: "BAD_INPUT", fileUUID });
    expect(body.message).toMatch(/based on version 0, but its live version is 1/);
  });

  it("of a file the index does not have", async () => {
    const phone = await server.newUser();
    const fileUUID = randomUUID();
    const entry = batchEntry(Buffer.alloc(0), {
      fileUUID,
      version: 1,
      size: 10,
      delta: { baseVersion: 0, ops: [{ copy: [0, 10] }] },
    });
    const { status, body } = await refused(entry, phone);
    expect(status).toBe(409);
    expect(body).toMatchObject({ code: "WRONG_VERSION", fileUUID });
  });

  it("copying beyond the base's bytes", async () => {
    const { phone, fileUUID } = await fileWithBase(base);
    // The ops add up to the file's size, but the copy ends 10 bytes past the base's end.
    const next = Buffer.concat([base.subarray(10), Buffer.alloc(10)]);
    const { status, body } = await refused(deltaEntry(fileUUID, next, [{ copy: [10, base.length] }]), phone);
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: "BAD_INPUT", fileUUID });
    expect(body.message).toMatch(/beyond the 65536 bytes of version 0/);
  });

  it("whose ops do not add up to the file's size, or are malformed", async () => {
    const { phone, fileUUID } = await fileWithBase(base);
    for (const ops of [[{ copy: [0, 100] }], [{ copy: [0, 0] }], [{ literal: -1 }], [{ move: [0, 1] }], []]) {
      const entry = batchEntry(Buffer.alloc(0), {
        fileUUID,
        version: 1,
        size: 200,
        delta: { baseVersion: 0, ops: ops as DeltaOp[] },
      });
      const { status, body } = await refused(entry, phone);
      expect(status, JSON.stringify(ops)).toBe(400);
      expect(body.code).toBe("BAD_INPUT");
      expect(body.message).toMatch(/delta/);
    }
  });

  it("whose rebuilt bytes do not match the declared sha256: discarded", async () => {
    const { phone, fileUUID } = await fileWithBase(base);
    const next = Buffer.concat([randomBytes(10), base.subarray(10)]);
    const entry = deltaEntry(fileUUID, next, [{ literal: 10 }, { copy: [10, base.length - 10] }]);
    entry.file.sha256 = sha256Hex(base);
    const { status, body } = await refused(entry, phone);
    expect(status).toBe(460);
    expect(body).toMatchObject({ code: "CHECKSUM_MISMATCH", fileUUID });
  });
});

describe("the block hashes of a live version", () => {
  const blocksOf = (token: string, fileUUID: string, version: number) =>
    fetch(`${server.url}${fileBlocksPath}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: new Blob([encodeFrameHead({ fileUUID, version })]),
    });

  it("are the sha256 of each 128 KiB block, the last one shorter", async () => {
    const base = randomBytes(300 * KiB);
    const { phone, fileUUID } = await fileWithBase(base);
    const answer = await blocksOf(phone.token!, fileUUID, 0);
    expect(answer.status).toBe(200);
    const blocks = (await answer.json()) as FileBlocks;
    expect(blocks).toEqual({
      fileUUID,
      version: 0,
      size: base.length,
      blockSize: 128 * KiB,
      blocks: [0, 1, 2].map((k) => sha256Hex(base.subarray(k * 128 * KiB, (k + 1) * 128 * KiB))),
    });
  });

  it("are read from the version's copy staged for a download, when there is one, not from the cloud", async () => {
    const base = randomBytes(300 * KiB);
    const { phone, fileUUID } = await fileWithBase(base);
    const { fencingToken } = await phone.lock();
    const inbound = await phone.startInboundTransfer(fencingToken, [{ fileUUID, version: 0 }]);
    expect((await phone.waitForOperation(inbound.id, 60_000)).state).toBe("SUCCEEDED");
    const cloudRead = vi.spyOn(server.app.services.cloud, "readObject");
    try {
      const answer = await blocksOf(phone.token!, fileUUID, 0);
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as FileBlocks).blocks).toEqual(
        [0, 1, 2].map((k) => sha256Hex(base.subarray(k * 128 * KiB, (k + 1) * 128 * KiB))),
      );
      expect(cloudRead).not.toHaveBeenCalled();
    } finally {
      cloudRead.mockRestore();
    }
  });

  /** The block hashes of `bytes` (128 KiB blocks). */
  const blockHashesOf = (bytes: Buffer) =>
    Array.from({ length: Math.ceil(bytes.length / (128 * KiB)) }, (_, k) =>
      sha256Hex(bytes.subarray(k * 128 * KiB, (k + 1) * 128 * KiB)),
    );

  /** The version's blocks as answered, and whether the answer read the version (from the cloud or staging). */
  async function blocksAnswered(token: string, fileUUID: string, version: number) {
    const cloudRead = vi.spyOn(server.app.services.cloud, "readObject");
    const stagedRead = vi.spyOn(server.app.services.staging, "inboundPath");
    try {
      const answer = await blocksOf(token, fileUUID, version);
      expect(answer.status).toBe(200);
      const { blocks } = (await answer.json()) as FileBlocks;
      return { blocks, read: cloudRead.mock.calls.length + stagedRead.mock.calls.length > 0 };
    } finally {
      cloudRead.mockRestore();
      stagedRead.mockRestore();
    }
  }

  it("are kept once computed: asked again, they are answered without reading the version", async () => {
    const base = randomBytes(300 * KiB);
    const { phone, fileUUID } = await fileWithBase(base);
    expect(await blocksAnswered(phone.token!, fileUUID, 0)).toEqual({ blocks: blockHashesOf(base), read: true });
    expect(await blocksAnswered(phone.token!, fileUUID, 0)).toEqual({ blocks: blockHashesOf(base), read: false });
  });

  it("of a version a delta rebuilt are taken as it was written: answered without reading it", async () => {
    const base = randomBytes(300 * KiB);
    const { phone, fileUUID } = await fileWithBase(base);
    const next = Buffer.concat([base.subarray(0, 1000), randomBytes(333), base.subarray(1000)]);
    const ops: DeltaOp[] = [{ copy: [0, 1000] }, { literal: 333 }, { copy: [1000, base.length - 1000] }];
    const { fencingToken } = await phone.lock();
    expect(
      (await uploadBatchOf(server.url, phone.token!, fencingToken, [deltaEntry(fileUUID, next, ops)])).status,
    ).toBe(200);
    await committed(phone, fencingToken);
    expect(await blocksAnswered(phone.token!, fileUUID, 1)).toEqual({ blocks: blockHashesOf(next), read: false });
  });

  it("are NOT_FOUND for a version that is not live, and for another user's file", async () => {
    const { phone, fileUUID } = await fileWithBase(randomBytes(1000));
    const stranger = await server.newUser();
    for (const [token, version] of [
      [phone.token!, 1],
      [stranger.token!, 0],
    ] as const) {
      const answer = await blocksOf(token, fileUUID, version);
      expect(answer.status).toBe(404);
      expect(await errorBodyOf(answer)).toMatchObject({ code: "NOT_FOUND", fileUUID });
    }
  });
});
