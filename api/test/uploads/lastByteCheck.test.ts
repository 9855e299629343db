// Where the last-byte check runs (src/uploads/LastByteCheck.ts): in the
// write that brings the last byte, never in a HEAD, a repeated creation or
// a commit. A check that fails without an outcome answers an error (logged,
// never swallowed) and gives the last write back, so the client's own retry
// sends it again and the check runs again. The check takes the sha256 its
// writes computed as the bytes arrived, and reads the file only when they
// did not see every byte (src/uploads/RunningHashes.ts).
import { randomBytes, randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RunningHashes } from "../../src/uploads/RunningHashes.ts";
import {
  encodeMetadata,
  matchers,
  rowCounts,
  sha256Hex,
  type TestServer,
  tusPatch,
  tusRequest,
  tusUpload,
  uploadMetadata,
  type UploadSpec,
  useTestServer,
} from "@smsync/testkit";

const server = useTestServer();
afterEach(() => {
  vi.restoreAllMocks();
});

type Spec = UploadSpec & { fileUUID: string };

async function newSpec(): Promise<{ device: Awaited<ReturnType<TestServer["newUser"]>>; spec: Spec }> {
  const device = await server.newUser();
  const { fencingToken } = await device.lock();
  return { device, spec: { fileUUID: randomUUID(), version: 0, content: randomBytes(3000), fencingToken } };
}

function create(token: string, spec: Spec) {
  return tusRequest(`${server.url}/uploads`, token, "POST", {
    "Upload-Length": String(spec.content.length),
    "Upload-Metadata": encodeMetadata(uploadMetadata(spec)),
  });
}

const idOf = (url: string) => url.split("/").pop()!;
const rowOf = (url: string) => server.app.services.db.stagedUpload.findUnique({ where: { id: idOf(url) } });

/** Every byte on the server, the row left UPLOADING: what a check that gave nothing back (or a kill before start) leaves. */
async function uploadWithoutOutcome(token: string, spec: Spec): Promise<string> {
  const { url } = await tusUpload(server.url, token, spec);
  await server.app.services.db.$transaction((tx) =>
    tx.stagedUpload.updateMany({ where: { id: idOf(url) }, data: { state: "UPLOADING", completedAt: null } }),
  );
  return url;
}

describe("a last-byte check that fails without an outcome", () => {
  it("answers 500 INTERNAL, logged, and gives the last write back; tus-js-client resends it and the upload completes", async () => {
    const { device, spec } = await newSpec();
    const created = await create(device.token!, spec);
    const url = created.headers.get("location")!;
    const logged = vi.spyOn(server.app.services.logger, "error");
    // The bytes' hash not known (as after a restart), the check reads the staged file through this path:
    // make that read fail once.
    vi.spyOn(RunningHashes.prototype, "finish").mockReturnValueOnce(undefined);
    vi.spyOn(server.app.services.staging, "uploadPath").mockReturnValueOnce("/nonexistent/staged-upload");
    const patched = await tusPatch(url, device.token!, 0, spec.content);
    expect(patched.status).toBe(500);
    expect(await patched.json()).toEqual({ code: "INTERNAL", message: "internal server error" });
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ method: "PATCH" }), "upload request failed");
    vi.restoreAllMocks();
    expect((await rowOf(url))?.state).toBe("UPLOADING");
    expect((await tusRequest(url, device.token!, "HEAD")).headers.get("upload-offset")).toBe("0");

    let patches = 0;
    await tusUpload(server.url, device.token!, spec, {
      uploadUrl: url,
      onAfterResponse: (request) => {
        if (request.getMethod() === "PATCH") patches++;
      },
    });
    expect(patches).toBe(1);
    expect((await rowOf(url))?.state).toBe("COMPLETE");
    expect((await device.waitForOperation((await device.commit(spec.fencingToken)).id)).state).toBe("SUCCEEDED");
    expect((await device.fileIndex()).files).toMatchObject([
      { fileUUID: spec.fileUUID, sha256: sha256Hex(spec.content) },
    ]);
  });

  it("answers a database failure as 500 INTERNAL, logged, not as success; the resent bytes complete the upload", async () => {
    const { device, spec } = await newSpec();
    const url = (await create(device.token!, spec)).headers.get("location")!;
    const { db, logger } = server.app.services;
    const logged = vi.spyOn(logger, "error");
    // The PATCH's one transaction is the check's: COMPLETE.
    vi.spyOn(db, "$transaction").mockRejectedValueOnce(new Error("SQLITE_IOERR: disk I/O error"));
    const patched = await tusPatch(url, device.token!, 0, spec.content);
    expect(patched.status).toBe(500);
    expect(await patched.json()).toMatchObject({ code: "INTERNAL" });
    expect(logged).toHaveBeenCalledWith(
      matchers.objectContaining({ err: matchers.objectContaining({ message: "SQLITE_IOERR: disk I/O error" }) }),
      "upload request failed",
    );
    vi.restoreAllMocks();
    expect((await rowOf(url))?.state).toBe("UPLOADING");
    expect((await tusRequest(url, device.token!, "HEAD")).headers.get("upload-offset")).toBe("0");
    expect((await tusPatch(url, device.token!, 0, spec.content)).status).toBe(204);
    expect((await rowOf(url))?.state).toBe("COMPLETE");
  });
});

describe("the sha256 of the bytes as they arrive", () => {
  it("checks an upload sent in several PATCHes without reading its file again", async () => {
    const { device, spec } = await newSpec();
    const url = (await create(device.token!, spec)).headers.get("location")!;
    const stagedReads = vi.spyOn(server.app.services.staging, "uploadPath");
    expect((await tusPatch(url, device.token!, 0, spec.content.subarray(0, 1000))).status).toBe(204);
    expect((await tusPatch(url, device.token!, 1000, spec.content.subarray(1000, 2000))).status).toBe(204);
    const last = await tusPatch(url, device.token!, 2000, spec.content.subarray(2000));
    expect(last.status).toBe(204);
    expect(last.headers.get("upload-sha256")).toBe(sha256Hex(spec.content));
    expect(stagedReads).not.toHaveBeenCalled();
    expect((await rowOf(url))?.state).toBe("COMPLETE");
  });

  it("refuses bytes other than the declared ones (CHECKSUM_MISMATCH) and discards them", async () => {
    const { device, spec } = await newSpec();
    const url = (await create(device.token!, spec)).headers.get("location")!;
    expect((await tusPatch(url, device.token!, 0, spec.content.subarray(0, 1000))).status).toBe(204);
    const other = Buffer.from(spec.content.subarray(1000));
    other[other.length - 1]! ^= 1;
    const last = await tusPatch(url, device.token!, 1000, other);
    expect(last.status).toBe(460);
    expect(await last.json()).toMatchObject({ code: "CHECKSUM_MISMATCH" });
    expect(await rowOf(url)).toBeNull();
  });

  it("reads the file when a write did not see every byte before it (a restart, another instance)", async () => {
    const { device, spec } = await newSpec();
    const url = (await create(device.token!, spec)).headers.get("location")!;
    expect((await tusPatch(url, device.token!, 0, spec.content.subarray(0, 1000))).status).toBe(204);
    // The hash of the first 1000 bytes forgotten, as by a new process.
    vi.spyOn(RunningHashes.prototype, "resume").mockReturnValueOnce(undefined);
    const stagedReads = vi.spyOn(server.app.services.staging, "uploadPath");
    const last = await tusPatch(url, device.token!, 1000, spec.content.subarray(1000));
    expect(last.status).toBe(204);
    expect(last.headers.get("upload-sha256")).toBe(sha256Hex(spec.content));
    expect(stagedReads).toHaveBeenCalled();
  });
});

describe("RunningHashes", () => {
  it("goes on only from the offset a hash covers, and keeps at most its limit", () => {
    const hashes = new RunningHashes(2);
    const first = hashes.resume("a", 0)!.update("abc");
    hashes.record("a", first, 3);
    expect(hashes.resume("a", 2)).toBeUndefined();
    // Taken out by the resume above, whatever its offset: a write that fails puts nothing back.
    expect(hashes.resume("a", 3)).toBeUndefined();
    hashes.record("a", hashes.resume("a", 0)!.update("abc"), 3);
    hashes.record("b", hashes.resume("b", 0)!, 0);
    hashes.record("c", hashes.resume("c", 0)!, 0);
    expect(hashes.finish("a", 3)).toBeUndefined();
    expect(hashes.finish("c", 0)).toBe(sha256Hex(Buffer.alloc(0)));
    hashes.record("d", hashes.resume("d", 0)!.update("abc"), 3);
    expect(hashes.finish("d", 4)).toBeUndefined();
  });
});

describe("a HEAD while the last PATCH's check runs", () => {
  it("waits for the check's outcome (tus's lock on the upload) instead of reporting unchecked bytes", async () => {
    const { device, spec } = await newSpec();
    const url = (await create(device.token!, spec)).headers.get("location")!;
    const { db } = server.app.services;
    const transact = db.$transaction.bind(db);
    let enterCheck!: () => void;
    const checkEntered = new Promise<void>((resolve) => (enterCheck = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let isReleased = false;
    // The PATCH's one transaction is the check's (COMPLETE): hold it until released.
    vi.spyOn(db, "$transaction").mockImplementationOnce(async (...args: Parameters<typeof db.$transaction>) => {
      enterCheck();
      await released;
      return (transact as (...a: unknown[]) => unknown)(...args);
    });
    const patched = tusPatch(url, device.token!, 0, spec.content);
    await checkEntered;
    const head = tusRequest(url, device.token!, "HEAD").then(async (response) => ({
      response,
      answeredAfterRelease: isReleased,
      state: (await rowOf(url))?.state,
    }));
    // A window in which a HEAD that did not wait would answer.
    setTimeout(() => {
      isReleased = true;
      release();
    }, 300);
    const answered = await head;
    expect(answered.answeredAfterRelease).toBe(true);
    expect(answered.response.status).toBe(200);
    expect(answered.response.headers.get("upload-offset")).toBe(String(spec.content.length));
    expect(answered.state).toBe("COMPLETE");
    expect((await patched).status).toBe(204);
  });
});

describe("an upload with every byte but no outcome", () => {
  it("is not checked by a HEAD, which reads no staged bytes", async () => {
    const { device, spec } = await newSpec();
    const url = await uploadWithoutOutcome(device.token!, spec);
    const stagedReads = vi.spyOn(server.app.services.staging, "uploadPath");
    const head = await tusRequest(url, device.token!, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("upload-offset")).toBe(String(spec.content.length));
    expect(stagedReads).not.toHaveBeenCalled();
    expect((await rowOf(url))?.state).toBe("UPLOADING");
  });

  it("is not checked by commit, which answers UPLOAD_INCOMPLETE and writes nothing", async () => {
    const { device, spec } = await newSpec();
    const url = await uploadWithoutOutcome(device.token!, spec);
    const before = await rowCounts(server.app.services.db);
    const code = await device.errorCode(`mutation($t: Int!) { commit(idempotencyKey: "k", fencingToken: $t) { id } }`, {
      t: spec.fencingToken,
    });
    expect(code).toBe("UPLOAD_INCOMPLETE");
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    expect((await rowOf(url))?.state).toBe("UPLOADING");
  });

  it("is replaced by a repeated creation, not checked by it", async () => {
    const { device, spec } = await newSpec();
    const url = await uploadWithoutOutcome(device.token!, spec);
    const again = await create(device.token!, spec);
    expect(again.status).toBe(201);
    expect(again.headers.get("location")).not.toBe(url);
    expect(await rowOf(url)).toBeNull();
    expect((await rowOf(again.headers.get("location")!))?.state).toBe("UPLOADING");
  });
});

describe("a repeated creation", () => {
  it("answers a database failure while it looks for the upload as 500 INTERNAL, logged, and writes nothing", async () => {
    const { device, spec } = await newSpec();
    const url = (await create(device.token!, spec)).headers.get("location")!;
    expect((await tusPatch(url, device.token!, 0, spec.content.subarray(0, 1000))).status).toBe(204);
    const { db, logger } = server.app.services;
    const before = await rowCounts(db);
    const logged = vi.spyOn(logger, "error");
    vi.spyOn(db, "$transaction").mockRejectedValueOnce(new Error("SQLITE_IOERR: disk I/O error"));
    const again = await create(device.token!, spec);
    expect(again.status).toBe(500);
    expect(await again.json()).toEqual({ code: "INTERNAL", message: "internal server error" });
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ method: "POST" }), "upload request failed");
    vi.restoreAllMocks();
    expect(await rowCounts(db)).toEqual(before);
    // The upload is still there, with its bytes.
    const resumed = await create(device.token!, spec);
    expect(resumed.headers.get("location")).toBe(url);
    expect(resumed.headers.get("upload-offset")).toBe("1000");
  });
});
