// Shared by the byte-plane tests: a store that survives its process (a JSON
// file, reopened by a "relaunched" uploader), staged downloads on a real
// server, and looks at what the server holds.
import { createHash, randomUUID } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { expect } from "vitest";
import { type TestGraphQLClient, type TestServer, tusUpload } from "@smsync/testkit";
import {
  collections,
  type ClientStore,
  type Collection,
  type EntryOf,
  type KeyIn,
  type StoreChange,
  type ValueAt,
} from "../../src/store/ClientStore.ts";
import { decodeEntry, decodeValue } from "../../src/store/recordValidation.ts";
import { promised } from "../../src/promised.ts";
import { commitBatch, operationEnded, startInbound } from "../support/serverReads.ts";

export type Device = TestGraphQLClient & { userName: string };

export function sha256Hex(content: Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

/** A store kept in one JSON file, rewritten whole (temp file + rename) on each commit: what a relaunched process reads back. */
export class JsonFileStore implements ClientStore {
  private data: Record<string, Record<string, string>>;

  constructor(readonly file: string) {
    try {
      this.data = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, string>>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      this.data = Object.fromEntries(collections.map((name) => [name, {}]));
    }
  }

  get<C extends Collection, K extends KeyIn<C>>(collection: C, key: K): Promise<ValueAt<C, K> | undefined> {
    return promised(() => {
      const json = this.data[collection]?.[key];
      return json === undefined ? undefined : decodeValue(collection, key, json);
    });
  }

  list<C extends Collection>(collection: C): Promise<EntryOf<C>[]> {
    return promised(() =>
      Object.entries(this.data[collection] ?? {})
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, json]) => decodeEntry(collection, key, json)),
    );
  }

  commit(changes: StoreChange[]): Promise<void> {
    return promised(() => {
      const next = JSON.parse(JSON.stringify(this.data)) as Record<string, Record<string, string>>;
      for (const change of changes) {
        const entries = (next[change.collection] ??= {});
        if (change.op === "put") entries[change.key] = JSON.stringify(change.value);
        else if (change.op === "delete") delete entries[change.key];
        else next[change.collection] = {};
      }
      writeFileSync(`${this.file}.tmp`, JSON.stringify(next));
      renameSync(`${this.file}.tmp`, this.file);
      this.data = next;
    });
  }

  async close(): Promise<void> {}
}

/** The server's offset of a tus upload (HEAD). */
export async function serverOffset(uploadUrl: string, token: string): Promise<number> {
  const response = await fetch(uploadUrl, {
    method: "HEAD",
    headers: { "Tus-Resumable": "1.0.0", authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  return Number(response.headers.get("upload-offset"));
}

/** The bytes the server's cloud storage holds for a file of the user. */
export async function cloudContent(server: TestServer, userName: string, fileUUID: string): Promise<Buffer | null> {
  const { cloud, db } = server.app.services;
  const userId = (await db.user.findUniqueOrThrow({ where: { name: userName } })).id;
  const object = (await cloud.listObjects(userId)).find((candidate) => candidate.fileUUID === fileUUID);
  if (!object) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of await cloud.readObject(userId, object.objectId)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Commits the device's batch and waits for the outbound transfer to succeed. */
export async function commitAndWait(device: Device, fencingToken: number): Promise<void> {
  const done = await operationEnded(device, (await commitBatch(device, fencingToken)).id);
  expect(done.state).toBe("SUCCEEDED");
}

/**
 * A file uploaded and committed by one device and staged for download by an
 * inbound transfer of another device of the same user. Returns the second
 * device and the download URL.
 */
export async function stagedDownload(server: TestServer, content: Buffer) {
  const phone = await server.newUser();
  const laptop = await server.newDevice(phone.userName);
  const fileUUID = randomUUID();
  const { fencingToken } = await phone.lock();
  await tusUpload(server.url, phone.token!, { fileUUID, version: 0, content, fencingToken });
  await commitAndWait(phone, fencingToken);
  const laptopLock = await laptop.lock();
  const inbound = await operationEnded(
    laptop,
    (await startInbound(laptop, laptopLock.fencingToken, [{ fileUUID, version: 0 }])).id,
  );
  expect(inbound.state).toBe("SUCCEEDED");
  const [staged] = inbound.files;
  if (!staged?.downloadUrl) throw new Error(`inbound transfer ${inbound.id} staged no download of ${fileUUID}`);
  const url = staged.downloadUrl;
  return { laptop, phone, fileUUID, url, token: laptop.token! };
}
