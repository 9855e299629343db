// Retry and failure behaviour of the transfers (SPEC 2 step 4, 3 "Retries"):
// transient cloud failures are retried with backoff until the transfer
// succeeds; a failure that exhausts the attempts, or one that a retry cannot
// fix, marks the operation FAILED with its phase and error and keeps the
// lock; a commit again by the holder resumes the same operation where it
// failed, and no cloud object is written twice.
import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { CloudFailureKind } from "../../src/cloud/CloudStorageError.ts";
import {
  downloadUrlOf,
  type FaultyCloudStorage,
  type OperationResult,
  refusedWithoutWrites,
  sha256Hex,
  type TestGraphQLClient,
  type TestServer,
  type TransferEventPayload,
  transferEventPayload,
  type Tuple,
  tusUpload,
} from "@smsync/testkit";
import { onEachFaultyCloud } from "../support/faultyCloudServers.ts";

const maxAttempts = 3;
const waitMs = 60_000;

let server: TestServer;
let cloud: FaultyCloudStorage;

type Client = TestGraphQLClient & { userName: string };

interface FileSpec {
  fileUUID: string;
  version: number;
  content: Buffer;
}

/** Files sorted by fileUUID: the order in which a transfer handles them. */
function newFiles<N extends number>(count: N): Tuple<FileSpec, N> {
  return Array.from({ length: count }, (_, i) => ({
    fileUUID: randomUUID(),
    version: 0,
    content: randomBytes(1000 + i * 20_000),
  })).sort((a, b) => (a.fileUUID < b.fileUUID ? -1 : 1)) as Tuple<FileSpec, N>;
}

async function userIdOf(client: Client): Promise<string> {
  return (await server.app.services.db.user.findUniqueOrThrow({ where: { name: client.userName } })).id;
}

async function upload(client: TestGraphQLClient, fencingToken: number, files: FileSpec[]): Promise<void> {
  for (const file of files) {
    await tusUpload(server.url, client.token!, {
      fileUUID: file.fileUUID,
      version: file.version,
      content: file.content,
      fencingToken,
    });
  }
}

async function commitAndWait(client: TestGraphQLClient, fencingToken: number): Promise<OperationResult> {
  const committed = await client.commit(fencingToken);
  return client.waitForOperation(committed.id, waitMs);
}

/** A new user whose files are committed (with a healthy cloud). */
async function userWithFiles(files: FileSpec[]): Promise<Client> {
  const client = await server.newUser();
  const { fencingToken } = await client.lock();
  await upload(client, fencingToken, files);
  expect((await commitAndWait(client, fencingToken)).state).toBe("SUCCEEDED");
  return client;
}

async function lockErrorCode(client: TestGraphQLClient): Promise<string | undefined> {
  return refusedWithoutWrites(server.app.services.db, () =>
    client.errorCode(`mutation($key: String!) { lock(idempotencyKey: $key) { fencingToken } }`, { key: randomUUID() }),
  );
}

/** The user's cloud holds exactly these (fileUUID, version) objects. */
async function expectCloudObjects(userId: string, files: FileSpec[]): Promise<void> {
  const objects = await cloud.inner.listObjects(userId);
  expect(objects.map((object) => `${object.fileUUID}.v${object.version}`).sort()).toEqual(
    files.map((file) => `${file.fileUUID}.v${file.version}`).sort(),
  );
  for (const file of files) {
    const object = objects.find(
      (candidate) => candidate.fileUUID === file.fileUUID && candidate.version === file.version,
    );
    expect(object?.sha256).toBe(sha256Hex(file.content));
  }
}

/** Each of these objects was created by the cloud exactly once. */
function expectCreatedOnce(files: FileSpec[]): void {
  for (const file of files)
    expect(cloud.created.get(`${file.fileUUID}.v${file.version}`), `${file.fileUUID}.v${file.version}`).toBe(1);
}

async function expectIndex(client: TestGraphQLClient, files: FileSpec[]): Promise<void> {
  const index = await client.fileIndex();
  expect(index.files.map((entry) => [entry.fileUUID, entry.version, entry.sha256, entry.deleted]).sort()).toEqual(
    files.map((file) => [file.fileUUID, file.version, sha256Hex(file.content), false]).sort(),
  );
}

async function events(operationId: string, type: string): Promise<TransferEventPayload[]> {
  const rows = await server.app.services.db.event.findMany({ where: { operationId, type }, orderBy: { seq: "asc" } });
  return rows.map((row) => transferEventPayload(row.payload));
}

/** Each file of the operation was reported transferred once, however many attempts it took. */
async function expectEachFileTransferredOnce(op: OperationResult): Promise<void> {
  const transferred = (await events(op.id, "FILES_TRANSFERRED")).flatMap((payload) =>
    (payload.files ?? []).map((file) => file.fileUUID),
  );
  expect(transferred.sort()).toEqual(op.files.map((file) => file.fileUUID).sort());
  expect(op.filesDone).toBe(op.filesTotal);
  expect(op.bytesDone).toBe(op.bytesTotal);
}

// Each backend's cloud, behind the fault injector; the server and its
// helpers above use the backend whose tests are running.
onEachFaultyCloud(
  { SMSYNC_TRANSFER_MAX_ATTEMPTS: String(maxAttempts) },
  (started) => ({ server, cloud } = started),
  () => {
    describe("transient cloud failures", () => {
      it("retries a failed cloud write with backoff and succeeds, each object written once", async () => {
        const files = newFiles(3);
        const client = await server.newUser();
        const { fencingToken } = await client.lock();
        await upload(client, fencingToken, files);
        cloud.fail({ call: "write", kind: "transient", fileUUID: files[1].fileUUID, times: 2 });

        const op = await commitAndWait(client, fencingToken);
        expect(op).toMatchObject({
          state: "SUCCEEDED",
          attempts: 2,
          failedPhase: null,
          errorCode: null,
          errorMessage: null,
        });
        const retries = (await events(op.id, "OPERATION_STATE")).filter((payload) => payload.retrying);
        expect(retries.map((payload) => [payload.attempts, payload.errorCode])).toEqual([
          [1, "CLOUD_TRANSIENT"],
          [2, "CLOUD_TRANSIENT"],
        ]);
        await expectEachFileTransferredOnce(op);
        expectCreatedOnce(files);
        await expectCloudObjects(await userIdOf(client), files);
        await expectIndex(client, files);
        expect((await (await server.newDevice(client.userName)).lock()).heldPreviously).toBe(false);
        // A commit again under the same grant (a new idempotency key): the same operation, done.
        expect(await client.commit(fencingToken)).toMatchObject({ id: op.id, state: "SUCCEEDED" });
      });

      it("does not write an object twice when the cloud wrote it but its answer was lost", async () => {
        const files = newFiles(2);
        const client = await server.newUser();
        const { fencingToken } = await client.lock();
        await upload(client, fencingToken, files);
        cloud.fail({ call: "write", kind: "transient", fileUUID: files[0].fileUUID, after: true });
        const writesBefore = cloud.calls.write;

        const op = await commitAndWait(client, fencingToken);
        expect(op).toMatchObject({ state: "SUCCEEDED", attempts: 1 });
        expect(cloud.calls.write - writesBefore).toBe(3); // files[0] twice (the retry finds its object), files[1] once
        expectCreatedOnce(files);
        await expectEachFileTransferredOnce(op);
        await expectCloudObjects(await userIdOf(client), files);
      });

      it("retries a failed removal of a replaced object and a failed inbound read", async () => {
        const [file] = newFiles(1);
        const client = await userWithFiles([file]);
        const userId = await userIdOf(client);
        let { fencingToken } = await client.lock();
        const next = { ...file, version: 1, content: randomBytes(5000) };
        await upload(client, fencingToken, [next]);
        cloud.fail({ call: "delete", kind: "transient", fileUUID: file.fileUUID });
        const replaced = await commitAndWait(client, fencingToken);
        expect(replaced).toMatchObject({ state: "SUCCEEDED", attempts: 1 });
        await expectEachFileTransferredOnce(replaced);
        await expectCloudObjects(userId, [next]);

        const laptop = await server.newDevice(client.userName);
        ({ fencingToken } = await laptop.lock());
        cloud.fail({ call: "read", kind: "transient", fileUUID: file.fileUUID, times: 2 });
        const inbound = await laptop.waitForOperation(
          (await laptop.startInboundTransfer(fencingToken, [{ fileUUID: file.fileUUID, version: 1 }])).id,
          waitMs,
        );
        expect(inbound).toMatchObject({ state: "SUCCEEDED", attempts: 2, errorCode: null });
        await expectEachFileTransferredOnce(inbound);
        const response = await fetch(downloadUrlOf(inbound), {
          headers: { authorization: `Bearer ${laptop.token}` },
        });
        expect(Buffer.from(await response.arrayBuffer()).equals(next.content)).toBe(true);
      });
    });

    describe("failures that end a transfer", () => {
      it("marks the operation FAILED when the attempts are exhausted, keeps the lock, and resumes on a commit again", async () => {
        const files = newFiles(3);
        const client = await server.newUser();
        const userId = await userIdOf(client);
        const { fencingToken } = await client.lock();
        await upload(client, fencingToken, files);
        // The second file's cloud write takes effect each time, but its answer never comes back.
        cloud.fail({ call: "write", kind: "transient", fileUUID: files[1].fileUUID, after: true, times: Infinity });

        const committed = await client.commit(fencingToken);
        const failed = await client.waitForOperation(committed.id, waitMs);
        expect(failed).toMatchObject({
          state: "FAILED",
          attempts: maxAttempts,
          failedPhase: `cloud write of ${files[1].fileUUID} v0`,
          errorCode: "CLOUD_TRANSIENT",
          filesDone: 1,
        });
        expect(failed.errorMessage).toContain("injected transient failure");
        expect(failed.files.map((file) => file.state)).toEqual(["DONE", "PENDING", "PENDING"]);
        // The first file made it: it is in the index; the others are not.
        await expectIndex(client, [files[0]]);

        // The lock is kept for the device that committed.
        const other = await server.newDevice(client.userName);
        expect(await lockErrorCode(other)).toBe("LOCK_HELD");
        expect(await client.lock()).toMatchObject({ fencingToken, heldPreviously: true });

        // While the cloud still fails, a commit again resumes the same operation, which fails again.
        const resumedWhileFailing = await client.commit(fencingToken);
        expect(resumedWhileFailing.id).toBe(committed.id);
        expect(await client.waitForOperation(committed.id, waitMs)).toMatchObject({
          state: "FAILED",
          attempts: maxAttempts,
          filesDone: 1,
        });

        // Healthy again: a commit again (new idempotency key, same fencing token) resumes it to the end.
        cloud.heal();
        const resumed = await client.commit(fencingToken);
        expect(resumed.id).toBe(committed.id);
        const done = await client.waitForOperation(committed.id, waitMs);
        expect(done).toMatchObject({ state: "SUCCEEDED", failedPhase: null, errorCode: null, errorMessage: null });
        await expectEachFileTransferredOnce(done);
        expectCreatedOnce(files);
        await expectCloudObjects(userId, files);
        await expectIndex(client, files);
        // other was refused above: it asks again once its retry hint has run out.
        server.clock.advance(1000);
        expect((await other.lock()).heldPreviously).toBe(false);
      });

      it.each<CloudFailureKind>(["integrity", "authorization", "permanent"])(
        "fails at once on a %s failure, which a retry cannot fix",
        async (kind) => {
          const files = newFiles(2);
          const client = await server.newUser();
          const { fencingToken } = await client.lock();
          await upload(client, fencingToken, files);
          cloud.fail({ call: "write", kind, fileUUID: files[0].fileUUID, times: Infinity });
          const writesBefore = cloud.calls.write;

          const committed = await client.commit(fencingToken);
          const failed = await client.waitForOperation(committed.id, waitMs);
          expect(failed).toMatchObject({
            state: "FAILED",
            attempts: 1,
            failedPhase: `cloud write of ${files[0].fileUUID} v0`,
            // Revoked credentials tell the client to sign in again (docs/protocol.md).
            errorCode: kind === "authorization" ? "GOOGLE_SIGN_IN_REQUIRED" : `CLOUD_${kind.toUpperCase()}`,
            filesDone: 0,
          });
          expect(cloud.calls.write - writesBefore).toBe(1);
          expect(await lockErrorCode(await server.newDevice(client.userName))).toBe("LOCK_HELD");

          cloud.heal();
          expect((await client.commit(fencingToken)).id).toBe(committed.id);
          const done = await client.waitForOperation(committed.id, waitMs);
          expect(done).toMatchObject({ state: "SUCCEEDED", errorCode: null });
          expectCreatedOnce(files);
          await expectCloudObjects(await userIdOf(client), files);
        },
      );

      it("resumes a transfer that failed removing a replaced object without indexing twice", async () => {
        const [file] = newFiles(1);
        const client = await userWithFiles([file]);
        const userId = await userIdOf(client);
        const { fencingToken } = await client.lock();
        const next = { ...file, version: 1, content: randomBytes(3000) };
        await upload(client, fencingToken, [next]);
        cloud.fail({ call: "delete", kind: "transient", fileUUID: file.fileUUID, times: Infinity });

        const committed = await client.commit(fencingToken);
        const failed = await client.waitForOperation(committed.id, waitMs);
        expect(failed).toMatchObject({
          state: "FAILED",
          attempts: maxAttempts,
          failedPhase: `removal of the replaced cloud object of ${file.fileUUID}`,
          errorCode: "CLOUD_TRANSIENT",
          filesDone: 1,
        });
        expect(failed.files[0]?.state).toBe("INDEXED");
        await expectIndex(client, [next]);
        await expectCloudObjects(userId, [file, next]);

        cloud.heal();
        expect((await client.commit(fencingToken)).id).toBe(committed.id);
        const done = await client.waitForOperation(committed.id, waitMs);
        expect(done.state).toBe("SUCCEEDED");
        await expectEachFileTransferredOnce(done);
        await expectCloudObjects(userId, [next]);
        expectCreatedOnce([file, next]);
      });

      it("a version committed again after its transfer was abandoned gets the new content, not the abandoned object", async () => {
        const [file] = newFiles(1);
        const phone = await server.newUser();
        const userId = await userIdOf(phone);
        const phoneGrant = await phone.lock();
        await upload(phone, phoneGrant.fencingToken, [file]);
        // The cloud wrote the object, then the transfer failed for good before indexing it.
        cloud.fail({ call: "write", kind: "permanent", fileUUID: file.fileUUID, after: true });
        const failed = await commitAndWait(phone, phoneGrant.fencingToken);
        expect(failed).toMatchObject({ state: "FAILED", errorCode: "CLOUD_PERMANENT" });
        cloud.heal();
        // The phone gives up (the lock goes, and with it the failed transfer's batch) ...
        await phone.ok(`mutation($key: String!, $token: Int!) { unlock(idempotencyKey: $key, fencingToken: $token) }`, {
          key: randomUUID(),
          token: phoneGrant.fencingToken,
        });
        // ... and the laptop commits the same version of the file with other content.
        const laptop = await server.newDevice(phone.userName);
        const laptopGrant = await laptop.lock();
        const replacement = { ...file, content: randomBytes(4000) };
        await upload(laptop, laptopGrant.fencingToken, [replacement]);
        expect(await commitAndWait(laptop, laptopGrant.fencingToken)).toMatchObject({ state: "SUCCEEDED" });

        await expectIndex(laptop, [replacement]);
        await expectCloudObjects(userId, [replacement]);
        const { fencingToken } = await laptop.lock();
        const inbound = await laptop.waitForOperation(
          (await laptop.startInboundTransfer(fencingToken, [{ fileUUID: file.fileUUID, version: 0 }])).id,
          waitMs,
        );
        expect(inbound).toMatchObject({ state: "SUCCEEDED" });
        const response = await fetch(downloadUrlOf(inbound), {
          headers: { authorization: `Bearer ${laptop.token}` },
        });
        expect(Buffer.from(await response.arrayBuffer()).equals(replacement.content)).toBe(true);
      });

      it("fails an inbound transfer whose cloud object is gone, keeps the lock, and a new one succeeds", async () => {
        const files = newFiles(2);
        const phone = await userWithFiles(files);
        const laptop = await server.newDevice(phone.userName);
        const { fencingToken } = await laptop.lock();
        const requested = files.map(({ fileUUID, version }) => ({ fileUUID, version }));
        cloud.fail({ call: "read", kind: "notFound", fileUUID: files[1].fileUUID });

        const failed = await laptop.waitForOperation(
          (await laptop.startInboundTransfer(fencingToken, requested)).id,
          waitMs,
        );
        expect(failed).toMatchObject({
          state: "FAILED",
          attempts: 1,
          failedPhase: `cloud read of ${files[1].fileUUID} v0`,
          errorCode: "CLOUD_NOTFOUND",
          filesDone: 1,
        });
        expect(await lockErrorCode(phone)).toBe("LOCK_HELD");

        const again = await laptop.waitForOperation(
          (await laptop.startInboundTransfer(fencingToken, requested)).id,
          waitMs,
        );
        expect(again).toMatchObject({ state: "SUCCEEDED", filesDone: 2 });
        for (const file of files) {
          const response = await fetch(downloadUrlOf(again, file.fileUUID), {
            headers: { authorization: `Bearer ${laptop.token}` },
          });
          expect(Buffer.from(await response.arrayBuffer()).equals(file.content)).toBe(true);
        }
        server.clock.advance(1000); // phone was refused above: past its retry hint
        expect((await phone.lock()).heldPreviously).toBe(false);
      });
    });
  },
);
