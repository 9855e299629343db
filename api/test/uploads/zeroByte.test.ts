// An empty file is a file: it is uploaded (the creation is the last byte),
// committed to the cloud, and downloaded back empty.
import { describe, expect, it } from "vitest";
import { downloadUrlOf, sha256Hex, tusUpload, useTestServer } from "@smsync/testkit";

const server = useTestServer();

describe("a zero-byte file", () => {
  it("goes to the cloud and back end to end", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const empty = Buffer.alloc(0);
    const { fencingToken } = await phone.lock();
    const { fileUUID, url } = await tusUpload(server.url, phone.token!, {
      version: 0,
      content: empty,
      fencingToken,
      cloudFileName: "empty.txt",
    });

    const head = await fetch(url, {
      method: "HEAD",
      headers: { "Tus-Resumable": "1.0.0", authorization: `Bearer ${phone.token}` },
    });
    expect(head.headers.get("upload-offset")).toBe("0");
    expect(head.headers.get("upload-length")).toBe("0");
    const row = await server.app.services.db.stagedUpload.findUniqueOrThrow({ where: { id: url.split("/").pop() } });
    expect(row.state).toBe("COMPLETE");

    const done = await phone.waitForOperation((await phone.commit(fencingToken)).id);
    expect(done).toMatchObject({ state: "SUCCEEDED", bytesTotal: 0, bytesDone: 0, filesDone: 1 });
    expect((await laptop.fileIndex()).files).toMatchObject([
      { fileUUID, version: 0, size: 0, sha256: sha256Hex(empty), cloudFileName: "empty.txt", deleted: false },
    ]);

    const laptopLock = await laptop.lock();
    const inbound = await laptop.waitForOperation(
      (await laptop.startInboundTransfer(laptopLock.fencingToken, [{ fileUUID, version: 0 }])).id,
    );
    expect(inbound.state).toBe("SUCCEEDED");
    const response = await fetch(downloadUrlOf(inbound), {
      headers: { authorization: `Bearer ${laptop.token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe("0");
    expect(response.headers.get("x-smsync-sha256")).toBe(sha256Hex(empty));
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });
});
