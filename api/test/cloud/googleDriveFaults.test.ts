// Each fault Drive can throw at the backend, injected by the fake at a chosen
// request, and the outcome the backend must reach: retried and written once,
// resumed without re-sending what Drive has, or failed with the right kind.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { afterAll, assert, beforeEach, describe, expect, it } from "vitest";
import { CloudStorageError } from "../../src/cloud/CloudStorageError.ts";
import { driveFaults } from "@smsync/testkit/fakeGoogleDrive";
import { driveTestFile, memoryRecord, quantum, startGoogleDriveFixture } from "../support/googleDriveFixture.ts";

const fixture = await startGoogleDriveFixture();
const { drive, tokens, sleeps } = fixture;
afterAll(() => fixture.close());

beforeEach(() => {
  drive.faults.clear();
  sleeps.length = 0;
});

const fileOf = driveTestFile;

/** Drive files of the key (whatever the backend thinks). */
function driveFilesOf(userId: string, fileUUID: string) {
  return drive.filesOf(userId).filter((file) => file.appProperties.fileUUID === fileUUID);
}

/** Writes a file with the fault armed after the app folder exists (so counts are of the write's own requests). */
async function writeWithFault(content: Buffer, arm: () => void) {
  const userId = await fixture.newUser();
  const storage = fixture.storage();
  await storage.listObjects(userId); // creates the app folder
  arm();
  const logFrom = drive.log.length;
  const file = fileOf(userId, content);
  const result = await storage.writeObject(file.metadata, file.content).catch((error: unknown) => error);
  return { userId, storage, file, result, log: drive.log.slice(logFrom) };
}

function expectStored(userId: string, fileUUID: string, content: Buffer): void {
  const files = driveFilesOf(userId, fileUUID);
  expect(files).toHaveLength(1);
  expect(files[0]!.content.equals(content)).toBe(true);
}

/** A user with an app folder whose current access token has just expired. */
async function userWithExpiredToken() {
  const userId = await fixture.newUser();
  const storage = fixture.storage();
  await storage.listObjects(userId);
  tokens.expireCurrentToken(userId);
  return { userId, storage };
}

describe("Google Drive backend: expired access tokens", () => {
  it("refreshes the token once after a 401 and retries the request", async () => {
    const content = randomBytes(3 * quantum);
    const { userId, file, result, log } = await writeWithFault(content, () =>
      drive.injectFault({ on: "uploadChunk", nth: 2, fault: driveFaults.unauthorized() }),
    );
    expect(result).toMatchObject({ fileUUID: file.metadata.fileUUID, size: content.length });
    expect(tokens.refreshed).toHaveLength(1);
    expect(log.filter((entry) => entry.status === 401)).toHaveLength(1);
    expectStored(userId, file.metadata.fileUUID, content);
  });

  it("refreshes when the token handed out has expired", async () => {
    const { userId, storage } = await userWithExpiredToken();
    const refreshedBefore = tokens.refreshed.length;
    const content = randomBytes(1000);
    const file = fileOf(userId, content);
    await storage.writeObject(file.metadata, file.content);
    expect(tokens.refreshed.length).toBe(refreshedBefore + 1);
    expectStored(userId, file.metadata.fileUUID, content);
  });

  it("fails with kind authorization when the refresh is refused (consent revoked), writing nothing", async () => {
    const { userId, storage } = await userWithExpiredToken();
    tokens.revokeRefreshToken(userId);
    const file = fileOf(userId, randomBytes(1000));
    const error = await storage.writeObject(file.metadata, file.content).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudStorageError);
    expect((error as CloudStorageError).kind).toBe("authorization");
    expect(sleeps).toEqual([]); // not retried
    expect(driveFilesOf(userId, file.metadata.fileUUID)).toHaveLength(0);
  });
});

describe("Google Drive backend: rate limits and server errors", () => {
  for (const reason of ["rateLimitExceeded", "userRateLimitExceeded"] as const) {
    it(`retries a 403 ${reason} with backoff`, async () => {
      const content = randomBytes(1000);
      const { userId, file, result } = await writeWithFault(content, () =>
        drive.injectFault({ on: "multipartUpload", times: 2, fault: driveFaults.rateLimit(reason) }),
      );
      expect(result).toMatchObject({ fileUUID: file.metadata.fileUUID });
      expect(sleeps).toHaveLength(2);
      expectStored(userId, file.metadata.fileUUID, content);
    });
  }

  it("honours Retry-After of a 429", async () => {
    const content = randomBytes(1000);
    const { userId, file, result } = await writeWithFault(content, () =>
      drive.injectFault({ on: "multipartUpload", fault: driveFaults.tooManyRequests(7) }),
    );
    expect(result).toMatchObject({ fileUUID: file.metadata.fileUUID });
    expect(sleeps).toEqual([7000]);
    expectStored(userId, file.metadata.fileUUID, content);
  });

  for (const status of [500, 503] as const) {
    it(`resumes an upload after a ${status} on a chunk, from what Drive has`, async () => {
      const content = randomBytes(3 * quantum + 10);
      const { userId, file, result, log } = await writeWithFault(content, () =>
        drive.injectFault({ on: "uploadChunk", nth: 2, fault: driveFaults.serverError(status) }),
      );
      expect(result).toMatchObject({ fileUUID: file.metadata.fileUUID });
      const chunks = log
        .filter((entry) => entry.kind === "uploadChunk" || entry.kind === "uploadStatus")
        .map((entry) => `${entry.kind} ${entry.contentRange} ${entry.status}`);
      expect(chunks).toEqual([
        `uploadChunk bytes 0-${quantum - 1}/${content.length} 308`,
        `uploadChunk bytes ${quantum}-${2 * quantum - 1}/${content.length} ${status}`,
        `uploadStatus bytes */${content.length} 308`,
        `uploadChunk bytes ${quantum}-${2 * quantum - 1}/${content.length} 308`,
        `uploadChunk bytes ${2 * quantum}-${3 * quantum - 1}/${content.length} 308`,
        `uploadChunk bytes ${3 * quantum}-${content.length - 1}/${content.length} 200`,
      ]);
      expectStored(userId, file.metadata.fileUUID, content);
    });
  }

  it("gives up as transient when Drive keeps failing, leaving no object", async () => {
    const { userId, file, result } = await writeWithFault(randomBytes(1000), () =>
      drive.injectFault({ on: "multipartUpload", times: Infinity, fault: driveFaults.serverError(503) }),
    );
    expect(result).toBeInstanceOf(CloudStorageError);
    expect((result as CloudStorageError).kind).toBe("transient");
    expect(sleeps).toHaveLength(7); // eight attempts
    drive.faults.clear();
    expect(driveFilesOf(userId, file.metadata.fileUUID)).toHaveLength(0);
  });
});

describe("Google Drive backend: quotas", () => {
  /** A write by a storage whose jitter is nil, so the waits are the policy's exact steps. */
  async function writeWithoutJitter(arm: () => void) {
    const userId = await fixture.newUser();
    const storage = fixture.storage({ retry: { random: () => 0 } });
    await storage.listObjects(userId);
    arm();
    const file = fileOf(userId, randomBytes(1000));
    const result = await storage.writeObject(file.metadata, file.content).catch((error: unknown) => error);
    return { userId, file, result };
  }

  for (const [name, fault] of [
    ["403 rateLimitExceeded", driveFaults.rateLimit("rateLimitExceeded")],
    ["403 userRateLimitExceeded", driveFaults.rateLimit("userRateLimitExceeded")],
    ["429 without Retry-After", driveFaults.tooManyRequests()],
  ] as const) {
    it(`backs off from 1 s to a minute on a ${name}, then fails as rateLimited`, async () => {
      const { userId, file, result } = await writeWithoutJitter(() =>
        drive.injectFault({ on: "multipartUpload", times: Infinity, fault }),
      );
      expect(result).toBeInstanceOf(CloudStorageError);
      expect((result as CloudStorageError).kind).toBe("rateLimited");
      expect(sleeps).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000]);
      drive.faults.clear();
      expect(driveFilesOf(userId, file.metadata.fileUUID)).toHaveLength(0);
    });
  }

  it("adds up to a second of jitter to each wait", async () => {
    const userId = await fixture.newUser();
    const storage = fixture.storage({ retry: { random: () => 0.5 } });
    await storage.listObjects(userId);
    drive.injectFault({ on: "multipartUpload", times: 2, fault: driveFaults.rateLimit() });
    const file = fileOf(userId, randomBytes(1000));
    await storage.writeObject(file.metadata, file.content);
    expect(sleeps).toEqual([1500, 2500]);
  });

  it("passes a Retry-After longer than a minute up with the rateLimited failure, without waiting it here", async () => {
    const { result } = await writeWithoutJitter(() =>
      drive.injectFault({ on: "multipartUpload", fault: driveFaults.tooManyRequests(300) }),
    );
    expect(result).toBeInstanceOf(CloudStorageError);
    expect(result).toMatchObject({ kind: "rateLimited", retryAfterMs: 300_000 });
    expect(sleeps).toEqual([]);
  });

  it("fails as rateLimited when a chunk keeps being refused for the rate, and the Retry-After goes with it", async () => {
    const content = randomBytes(2 * quantum);
    const { result } = await writeWithFault(content, () =>
      drive.injectFault({ on: "uploadChunk", nth: 2, times: Infinity, fault: driveFaults.tooManyRequests(5) }),
    );
    expect(result).toMatchObject({ kind: "rateLimited", retryAfterMs: 5000 });
    expect(sleeps).toEqual(Array(7).fill(5000));
  });

  for (const reason of ["storageQuotaExceeded", "quotaExceeded"] as const) {
    for (const on of ["startUpload", "uploadChunk", "multipartUpload"] as const) {
      it(`fails at once as storageFull on a 403 ${reason} (${on}), writing nothing`, async () => {
        const size = on === "multipartUpload" ? 1000 : 2 * quantum;
        const { userId, file, result } = await writeWithFault(randomBytes(size), () =>
          drive.injectFault({ on, times: Infinity, fault: driveFaults.storageFull(reason) }),
        );
        expect(result).toBeInstanceOf(CloudStorageError);
        expect((result as CloudStorageError).kind).toBe("storageFull");
        expect((result as CloudStorageError).waitsWithoutAttempt).toBe(true);
        expect(sleeps).toEqual([]);
        drive.faults.clear();
        expect(driveFilesOf(userId, file.metadata.fileUUID)).toHaveLength(0);
      });
    }
  }
});

describe("the fake Drive's faults of one account", () => {
  it("strike only that account's requests, and are cleared by account", async () => {
    const storage = fixture.storage();
    const [struck, spared] = [await fixture.newUser(), await fixture.newUser()];
    await storage.listObjects(struck);
    await storage.listObjects(spared);
    drive.injectFault({ on: "any", times: Infinity, fault: driveFaults.serverError(503), account: struck });
    const logFrom = drive.log.length;
    const sparedFile = fileOf(spared, randomBytes(1000));
    await storage.writeObject(sparedFile.metadata, sparedFile.content);
    const struckFile = fileOf(struck, randomBytes(1000));
    const result = await storage.writeObject(struckFile.metadata, struckFile.content).catch((error: unknown) => error);
    expect((result as CloudStorageError).kind).toBe("transient");
    const faulted = drive.log.slice(logFrom).filter((entry) => entry.fault);
    expect(faulted.length).toBeGreaterThan(0);
    expect(new Set(faulted.map((entry) => entry.account))).toEqual(new Set([struck]));
    drive.faults.clear(spared);
    expect(drive.faults.pending).toHaveLength(1);
    drive.faults.clear(struck);
    expect(drive.faults.pending).toHaveLength(0);
    expectStored(spared, sparedFile.metadata.fileUUID, await buffer(sparedFile.content()));
  });
});

describe("Google Drive backend: cut uploads", () => {
  it("resumes a file of several chunks after a connection dropped mid-chunk, without re-sending what Drive kept", async () => {
    const chunkSize = 2 * quantum;
    const content = randomBytes(4 * chunkSize - 1000);
    const userId = await fixture.newUser();
    const storage = fixture.storage({ chunkSize });
    await storage.listObjects(userId);
    // The second chunk is cut 300 KiB in: Drive keeps its first 256 KiB.
    drive.injectFault({ on: "uploadChunk", nth: 2, fault: driveFaults.dropConnection(300 * 1024) });
    const logFrom = drive.log.length;
    const file = fileOf(userId, content);
    await storage.writeObject(file.metadata, file.content);
    const log = drive.log
      .slice(logFrom)
      .filter((entry) => entry.kind === "uploadChunk" || entry.kind === "uploadStatus");
    const size = content.length;
    expect(log.map((entry) => `${entry.kind} ${entry.contentRange} ${entry.status}`)).toEqual([
      `uploadChunk bytes 0-${chunkSize - 1}/${size} 308`,
      `uploadChunk bytes ${chunkSize}-${2 * chunkSize - 1}/${size} dropped`,
      `uploadStatus bytes */${size} 308`,
      // From what Drive kept, in the middle of the cut chunk.
      `uploadChunk bytes ${chunkSize + quantum}-${2 * chunkSize - 1}/${size} 308`,
      `uploadChunk bytes ${2 * chunkSize}-${3 * chunkSize - 1}/${size} 308`,
      `uploadChunk bytes ${3 * chunkSize}-${size - 1}/${size} 200`,
    ]);
    // Every byte went up once, but the 44 KiB of the cut chunk that Drive had not kept.
    const sent = log.reduce((sum, entry) => sum + entry.bodyBytes, 0);
    expect(sent).toBe(size + (300 * 1024 - quantum));
    expectStored(userId, file.metadata.fileUUID, content);
  });

  it("finishes when the last chunk's answer is lost: the status query returns the file", async () => {
    const content = randomBytes(quantum + 100);
    const { userId, file, result, log } = await writeWithFault(content, () =>
      drive.injectFault({ on: "uploadChunk", nth: 2, fault: driveFaults.dropConnection(100) }),
    );
    expect(result).toMatchObject({ fileUUID: file.metadata.fileUUID });
    expect(log.filter((entry) => entry.kind === "uploadStatus").map((entry) => entry.status)).toEqual([200]);
    expectStored(userId, file.metadata.fileUUID, content);
  });

  it("starts a new session when the old one expired", async () => {
    const content = randomBytes(3 * quantum);
    const { userId, file, result, log } = await writeWithFault(content, () =>
      drive.injectFault({ on: "uploadChunk", nth: 2, fault: driveFaults.expireSession() }),
    );
    expect(result).toMatchObject({ fileUUID: file.metadata.fileUUID });
    expect(log.filter((entry) => entry.kind === "startUpload")).toHaveLength(2);
    expect(log.filter((entry) => entry.kind === "uploadChunk").map((entry) => entry.status)).toEqual([
      308, 404, 308, 308, 200,
    ]);
    expectStored(userId, file.metadata.fileUUID, content);
  });
});

describe("Google Drive backend: upload sessions kept across a restart", () => {
  /** A content stream that dies (as its process would) once `bytes` have been read. */
  function dyingContent(content: Buffer, bytes: number): () => Readable {
    return () =>
      Readable.from(
        (function* () {
          for (let at = 0; at < content.length; at += 65536) {
            if (at >= bytes) throw new Error("the process died");
            yield content.subarray(at, at + 65536);
          }
        })(),
      );
  }

  it("resumes the recorded session where Drive got to, sending no byte twice", async () => {
    const userId = await fixture.newUser();
    await fixture.storage().listObjects(userId);
    const content = randomBytes(4 * quantum + 10);
    const file = fileOf(userId, content);
    const { saved, record } = memoryRecord();
    // The first process sends two chunks, then dies reading the third.
    const died = await fixture
      .storage()
      .writeObject(file.metadata, dyingContent(content, 2 * quantum), { session: record })
      .catch((e: unknown) => e);
    expect(died).toBeInstanceOf(Error);
    expect(saved).toHaveLength(1);
    const logFrom = drive.log.length;
    const written = await fixture.storage().writeObject(file.metadata, file.content, { session: record });
    expect(written).toMatchObject({ fileUUID: file.metadata.fileUUID, size: content.length });
    const log = drive.log.slice(logFrom);
    expect(log.filter((entry) => entry.kind === "startUpload")).toHaveLength(0);
    expect(
      log
        .filter((entry) => entry.kind === "uploadChunk" || entry.kind === "uploadStatus")
        .map((entry) => `${entry.kind} ${entry.contentRange}`),
    ).toEqual([
      `uploadStatus bytes */${content.length}`,
      `uploadChunk bytes ${2 * quantum}-${3 * quantum - 1}/${content.length}`,
      `uploadChunk bytes ${3 * quantum}-${4 * quantum - 1}/${content.length}`,
      `uploadChunk bytes ${4 * quantum}-${content.length - 1}/${content.length}`,
    ]);
    const sent = drive
      .requestsOf("uploadChunk")
      .filter((entry) => entry.account === userId)
      .reduce((sum, entry) => sum + entry.bodyBytes, 0);
    expect(sent).toBe(content.length);
    expectStored(userId, file.metadata.fileUUID, content);
  });

  it("starts a new session, and records it, when Drive says the recorded one is gone", async () => {
    const userId = await fixture.newUser();
    await fixture.storage().listObjects(userId);
    const content = randomBytes(3 * quantum);
    const file = fileOf(userId, content);
    const { saved, record } = memoryRecord();
    await fixture
      .storage()
      .writeObject(file.metadata, dyingContent(content, quantum), { session: record })
      .catch(() => undefined);
    for (const session of drive.store.sessions.values()) if (session.account === userId) session.expired = true;
    const logFrom = drive.log.length;
    await fixture.storage().writeObject(file.metadata, file.content, { session: record });
    expect(
      drive.log
        .slice(logFrom)
        .filter((entry) => entry.kind === "uploadStatus")
        .map((entry) => entry.status),
    ).toEqual([404]);
    expect(drive.log.slice(logFrom).filter((entry) => entry.kind === "startUpload")).toHaveLength(1);
    expect(saved).toHaveLength(3);
    expect(saved[1]).toBeNull();
    expect(saved[2]).not.toBe(saved[0]);
    expectStored(userId, file.metadata.fileUUID, content);
  });
});

describe("Google Drive backend: exactly once and integrity", () => {
  it("never leaves two Drive files for one (fileUUID, version): a write retried after its answer was lost finds the first", async () => {
    const userId = await fixture.newUser();
    const storage = fixture.storage();
    await storage.listObjects(userId);
    const content = randomBytes(2 * quantum);
    const file = fileOf(userId, content);
    const { record } = memoryRecord();
    // The last chunk lands, its answer is lost, and Drive fails every status query: the write fails...
    drive.injectFault({ on: "uploadChunk", nth: 2, fault: driveFaults.dropConnection(quantum) });
    drive.injectFault({ on: "uploadStatus", times: Infinity, fault: driveFaults.serverError(500) });
    const result = await storage.writeObject(file.metadata, file.content, { session: record }).catch((e: unknown) => e);
    expect((result as CloudStorageError).kind).toBe("transient");
    expect(driveFilesOf(userId, file.metadata.fileUUID)).toHaveLength(1);
    drive.faults.clear();
    // ...and the transfer's retry (its file row holds the session) finds the object already written, sending no byte.
    let contentRead = false;
    const logFrom = drive.log.length;
    const retried = await storage.writeObject(
      file.metadata,
      () => {
        contentRead = true;
        return file.content();
      },
      { session: record },
    );
    expect(contentRead).toBe(false);
    expect(drive.log.slice(logFrom).map((entry) => entry.kind)).toEqual(["listFiles"]);
    expect(retried.objectId).toBe(driveFilesOf(userId, file.metadata.fileUUID)[0]?.id);
    expectStored(userId, file.metadata.fileUUID, content);
    // A fresh process (nothing cached) finds it too.
    expect(await fixture.storage().findObject(file.metadata)).toMatchObject({ objectId: retried.objectId });
  });

  it("fails with kind integrity when Drive's md5 does not match the content sent, and removes the file", async () => {
    const content = randomBytes(quantum + 5);
    const { userId, file, result } = await writeWithFault(content, () =>
      drive.injectFault({ on: "uploadChunk", nth: 2, fault: driveFaults.wrongMd5() }),
    );
    expect(result).toBeInstanceOf(CloudStorageError);
    expect((result as CloudStorageError).kind).toBe("integrity");
    expect(driveFilesOf(userId, file.metadata.fileUUID)).toHaveLength(0);
  });

  it("refuses content longer or shorter than declared before the last chunk, sending no last chunk", async () => {
    const userId = await fixture.newUser();
    const storage = fixture.storage();
    const file = fileOf(userId, randomBytes(quantum + 10));
    const longer = await storage
      .writeObject({ ...file.metadata, size: quantum + 5 }, file.content)
      .catch((e: unknown) => e);
    expect((longer as CloudStorageError).kind).toBe("integrity");
    const shorter = await storage
      .writeObject({ ...file.metadata, size: quantum + 50 }, file.content)
      .catch((e: unknown) => e);
    expect((shorter as CloudStorageError).kind).toBe("integrity");
    expect(driveFilesOf(userId, file.metadata.fileUUID)).toHaveLength(0);
  });
});

describe("Google Drive backend: downloads", () => {
  for (const [name, fault] of [
    ["a 503", driveFaults.serverError(503)],
    ["a 403 userRateLimitExceeded", driveFaults.rateLimit("userRateLimitExceeded")],
    ["a 401", driveFaults.unauthorized()],
  ] as const) {
    it(`retries a download answered ${name}`, async () => {
      const userId = await fixture.newUser();
      const storage = fixture.storage();
      const content = randomBytes(5000);
      const file = fileOf(userId, content);
      const written = await storage.writeObject(file.metadata, file.content);
      drive.injectFault({ on: "downloadMedia", fault });
      const logFrom = drive.log.length;
      expect((await buffer(await storage.readObject(userId, written.objectId))).equals(content)).toBe(true);
      expect(drive.log.slice(logFrom).map((entry) => entry.kind)).toEqual(["downloadMedia", "downloadMedia"]);
    });
  }
});

describe("Google Drive backend: cut downloads", () => {
  const mib = 1024 * 1024;

  async function writtenObject(size: number) {
    const userId = await fixture.newUser();
    const storage = fixture.storage();
    const content = randomBytes(size);
    const file = fileOf(userId, content);
    const written = await storage.writeObject(file.metadata, file.content);
    return { userId, storage, content, objectId: written.objectId };
  }

  it("resumes a 3 MiB download cut at 1 MiB from the byte it reached, fetching 2 MiB more", async () => {
    const { userId, storage, content, objectId } = await writtenObject(3 * mib);
    drive.injectFault({ on: "downloadMedia", fault: driveFaults.dropConnection(mib) });
    const logFrom = drive.log.length;
    expect((await buffer(await storage.readObject(userId, objectId))).equals(content)).toBe(true);
    const downloads = drive.log.slice(logFrom).filter((entry) => entry.kind === "downloadMedia");
    expect(downloads.map((entry) => [entry.status, entry.sentBytes])).toEqual([
      ["dropped", mib],
      [206, 2 * mib],
    ]);
    expect(sleeps).toHaveLength(1);
  });

  it("resumes a cut range inside the range asked for", async () => {
    const { userId, storage, content, objectId } = await writtenObject(3 * mib);
    drive.injectFault({ on: "downloadMedia", fault: driveFaults.dropConnection(mib) });
    const logFrom = drive.log.length;
    const part = await buffer(await storage.readObject(userId, objectId, { start: 100, end: 3 * mib - 101 }));
    expect(part.equals(content.subarray(100, 3 * mib - 100))).toBe(true);
    const downloads = drive.log.slice(logFrom).filter((entry) => entry.kind === "downloadMedia");
    expect(downloads.map((entry) => entry.sentBytes)).toEqual([mib, 2 * mib - 200]);
  });

  it("skips what it has when Drive answers the resumed request with the whole content", async () => {
    const { userId, storage, content, objectId } = await writtenObject(3 * mib);
    drive.injectFault({ on: "downloadMedia", fault: driveFaults.dropConnection(mib) });
    drive.injectFault({ on: "downloadMedia", nth: 2, fault: driveFaults.ignoreRange() });
    expect((await buffer(await storage.readObject(userId, objectId))).equals(content)).toBe(true);
    expect(drive.requestsOf("downloadMedia").slice(-1)[0]).toMatchObject({ status: 200, sentBytes: 3 * mib });
  });

  it("keeps resuming while each try brings bytes, however many cuts", async () => {
    const { userId, storage, content, objectId } = await writtenObject(3 * mib);
    drive.injectFault({ on: "downloadMedia", times: 20, fault: driveFaults.dropConnection(mib / 8) });
    expect((await buffer(await storage.readObject(userId, objectId))).equals(content)).toBe(true);
    expect(
      drive
        .requestsOf("downloadMedia")
        .slice(-21)
        .reduce((sum, entry) => sum + (entry.sentBytes ?? 0), 0),
    ).toBe(3 * mib);
  });

  it("fails as transient when the rest of a cut download cannot be had", async () => {
    const { userId, storage, objectId } = await writtenObject(3 * mib);
    drive.injectFault({ on: "downloadMedia", fault: driveFaults.dropConnection(mib) });
    drive.injectFault({ on: "downloadMedia", nth: 2, times: Infinity, fault: driveFaults.serverError(503) });
    const error = await buffer(await storage.readObject(userId, objectId)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudStorageError);
    expect((error as CloudStorageError).kind).toBe("transient");
  });
});

describe("Google Drive backend: the app folder", () => {
  it("is made once for writes that arrive together for a new user", async () => {
    const userId = await fixture.newUser();
    const storage = fixture.storage();
    const files = [
      fileOf(userId, randomBytes(100)),
      fileOf(userId, randomBytes(200)),
      fileOf(userId, randomBytes(300)),
    ];
    await Promise.all(files.map((file) => storage.writeObject(file.metadata, file.content)));
    expect(drive.filesOf(userId).filter((file) => file.mimeType === "application/vnd.google-apps.folder")).toHaveLength(
      1,
    );
    expect((await storage.listObjects(userId)).map((object) => object.fileUUID).sort()).toEqual(
      files.map((file) => file.metadata.fileUUID).sort(),
    );
  });

  it("is created once, recorded in the user's GoogleAccount, and found again by its id", async () => {
    const userId = await fixture.newUser();
    await fixture.storage().listObjects(userId);
    const folders = drive.filesOf(userId).filter((file) => file.mimeType === "application/vnd.google-apps.folder");
    expect(folders.map((folder) => folder.name)).toEqual(["smsync"]);
    const account = await fixture.db.googleAccount.findUniqueOrThrow({ where: { userId } });
    expect(account.driveFolderId).toBe(folders[0]?.id);
    // Another process finds it by the recorded id: a get, no search, no creation.
    const logFrom = drive.log.length;
    await fixture.storage().listObjects(userId);
    expect(drive.log.slice(logFrom).map((entry) => entry.kind)).toEqual(["getFile", "listFiles"]);
  });

  it("is made once when Drive made it but the answer was lost: the retry finds it by its generated id", async () => {
    const userId = await fixture.newUser();
    drive.injectFault({ on: "createFile", fault: driveFaults.loseAnswer(), account: userId });
    const logFrom = drive.log.length;
    await fixture.storage().listObjects(userId);
    const folders = drive.filesOf(userId).filter((file) => file.mimeType === "application/vnd.google-apps.folder");
    expect(folders).toHaveLength(1);
    expect(
      drive.log
        .slice(logFrom)
        .filter((entry) => entry.kind === "createFile")
        .map((entry) => entry.status),
    ).toEqual(["answerLost"]);
    const account = await fixture.db.googleAccount.findUniqueOrThrow({ where: { userId } });
    expect(account.driveFolderId).toBe(folders[0]?.id);
  });

  it("is made once when the answer to its creation and to the check after it are lost", async () => {
    const userId = await fixture.newUser();
    drive.injectFault({ on: "createFile", fault: driveFaults.loseAnswer(), account: userId });
    drive.injectFault({ on: "getFile", fault: driveFaults.dropConnection(0), account: userId });
    await fixture.storage().listObjects(userId);
    expect(drive.filesOf(userId).filter((file) => file.mimeType === "application/vnd.google-apps.folder")).toHaveLength(
      1,
    );
  });

  it("is found by its appProperties when its id was never recorded (a crash after creating it)", async () => {
    const userId = await fixture.newUser();
    await fixture.storage({ folderName: "MyApp" }).listObjects(userId);
    await fixture.db.$transaction((tx) =>
      tx.googleAccount.update({ where: { userId }, data: { driveFolderId: null } }),
    );
    await fixture.storage({ folderName: "MyApp" }).listObjects(userId);
    expect(drive.filesOf(userId).map((file) => file.name)).toEqual(["MyApp"]);
  });

  it("is made anew when the user deleted it", async () => {
    const userId = await fixture.newUser();
    await fixture.storage().listObjects(userId);
    const [old] = drive.filesOf(userId);
    assert.exists(old);
    drive.store.files.delete(old.id);
    await fixture.storage().listObjects(userId);
    const account = await fixture.db.googleAccount.findUniqueOrThrow({ where: { userId } });
    expect(account.driveFolderId).not.toBe(old.id);
    expect(drive.filesOf(userId).map((file) => file.id)).toEqual([account.driveFolderId]);
  });

  it("reads a range of an object over alt=media", async () => {
    const userId = await fixture.newUser();
    const storage = fixture.storage();
    const content = randomBytes(quantum * 2);
    const file = fileOf(userId, content);
    const written = await storage.writeObject(file.metadata, file.content);
    const part = await buffer(
      await storage.readObject(userId, written.objectId, { start: quantum - 3, end: quantum + 3 }),
    );
    expect(part.equals(content.subarray(quantum - 3, quantum + 4))).toBe(true);
    expect(drive.log.at(-1)).toMatchObject({ kind: "downloadMedia", status: 206 });
  });
});
