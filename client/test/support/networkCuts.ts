// The machinery of the network-cut tests (engine/networkCuts*.test.ts): a
// real server behind the cutting proxy, a sync pass that does every step (a
// download-deletion, two downloads in an inbound transfer, then a batch of two
// uploads and a deletion in an outbound transfer; of each two files one goes
// over tus or GET and one by the batch paths), a table of cuts, and the exact
// end state the pass must reach after each cut.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncEvents } from "../../src/engine/SyncEngine.ts";
import { startCuttingProxy, type CutRule, type CuttingProxy } from "@smsync/testkit";
import { startEngineHarness, type EngineHarness, type TestDevice } from "./engineHarness.ts";
import { expectNothingPending, syncUntilIdle } from "./syncedState.ts";
import { cloudContent, sha256Hex } from "../transfers/helpers.ts";
import { randomUUIDs } from "./uuids.ts";

// One server and one proxy per test file, started by describeCuts's hooks.
let harness: EngineHarness;
let proxy: CuttingProxy;

const binary = { mimeType: "application/octet-stream" };
/** Large enough for a cut in the middle of a PATCH or a download body; over the batch limit, so over tus and GET. */
export const bigSize = 256 * 1024;
/** Files up to this size go by the batch paths (the server's SMSYNC_BATCH_MAX_FILE_BYTES here). */
export const batchMaxFileBytes = 64 * 1024;
/** A file that goes by the batch paths, large enough for a cut in the middle of its bytes. */
export const smallSize = 16 * 1024;

/** A GraphQL operation among the POSTs to /graphql, by its name in the request body. */
export function graphql(operationName: string): Pick<CutRule, "match" | "body"> {
  return { match: /^POST \/graphql /, body: new RegExp(`"operationName":"${operationName}"`) };
}

export interface CutCase {
  name: string;
  /** The first rule; armed when the pass starts, or at `armOn`. */
  rule: CutRule;
  /** Arm the rule when the engine emits this event (e.g. to reach the outbound half of the pass). */
  armOn?: keyof SyncEvents;
  /** A second rule, armed once the first has cut (e.g. the HEAD of the resumed upload). */
  then?: CutRule;
}

/** Bytes of a request that pass before a mid-request cut: fewer than any request has. */
export const midRequest = 12;
/** Bytes of a PATCH that pass before a mid-upload cut: its head and part of the body. */
export const patchMidBody = 100_000;

/** A step cut (a) mid-request and (b) after the server acted, as it starts answering. */
export function bothCuts(step: string, target: Pick<CutRule, "match" | "body">, armOn?: keyof SyncEvents): CutCase[] {
  return [
    { name: `${step}, mid-request`, rule: { direction: "up", afterBytes: midRequest, ...target }, armOn },
    {
      name: `${step}, after the server acted (answer lost)`,
      rule: { direction: "down", afterBytes: 0, ...target },
      armOn,
    },
  ];
}

/** The transferProgress subscription's WebSocket (GET /graphql, upgraded): its upgrade answer lost, or the stream cut after its first frames. */
export function subscriptionCuts(which: string, armOn?: keyof SyncEvents): CutCase[] {
  const webSocket = { match: /^GET \/graphql / };
  return [
    {
      name: `transferProgress subscription ${which}, upgrade answer lost`,
      rule: { direction: "down", afterBytes: 0, ...webSocket },
      armOn,
    },
    {
      name: `transferProgress subscription ${which}, cut mid-stream`,
      rule: { direction: "down", afterBytes: 250, ...webSocket },
      armOn,
    },
  ];
}

interface Scenario {
  user: Awaited<ReturnType<EngineHarness["newUser"]>>;
  device: TestDevice;
  /** What the app had been handed before the pass under test. */
  savedBefore: number;
  deletedBefore: number;
  expectedIndex: { fileUUID: string; version: number; deleted: boolean; sha256: string }[];
  expectedDownloads: { fileUUID: string; version: number; sha256: string }[];
  gone: string;
  uploads: { fileUUID: string; content: Buffer }[];
}

/**
 * A user with a seeding device (straight to the server) and the device
 * under test (through the proxy), which holds four files. Then the seeder
 * changes one, deletes one and adds one; the device queues a new file, a new
 * version of one it holds and a deletion, and commits. Its next pass does
 * every step.
 */
async function prepareScenario(): Promise<Scenario> {
  const user = await harness.newUser();
  const seeder = await harness.openClient(user);
  // Short backoffs: each case waits out at least one.
  const device = await harness.openClient(await harness.newDevice(user.userName), {
    serverUrl: proxy.url,
    backoff: { initialMs: 50, maxMs: 250 },
  });
  const [kept, gone, doomed, edited, incoming, fresh] = randomUUIDs(6);
  const first = new Map([kept, gone, doomed, edited].map((uuid) => [uuid, Buffer.from(`first version of ${uuid}`)]));
  for (const [uuid, content] of first)
    await seeder.client.uploadData(uuid, content, { cloudFileName: `${uuid}.txt`, ...binary });
  await seeder.client.commit();
  await syncUntilIdle(seeder.client);
  await syncUntilIdle(device.client);

  // One download and one upload of each kind: tus and GET for the big ones, the batch paths for the small ones.
  const keptV1 = randomBytes(bigSize);
  const incomingV0 = randomBytes(smallSize);
  await seeder.client.uploadFile(kept, harness.writeFile(keptV1), { cloudFileName: `${kept}.txt`, ...binary });
  await seeder.client.uploadFile(incoming, harness.writeFile(incomingV0), {
    cloudFileName: `${incoming}.bin`,
    ...binary,
  });
  await seeder.client.deleteFile(gone);
  await seeder.client.commit();
  await syncUntilIdle(seeder.client);

  const freshV0 = randomBytes(bigSize + 1234);
  const editedV1 = randomBytes(smallSize - 1234);
  await device.client.uploadFile(fresh, harness.writeFile(freshV0), { cloudFileName: `${fresh}.bin`, ...binary });
  await device.client.uploadFile(edited, harness.writeFile(editedV1), { cloudFileName: `${edited}.txt`, ...binary });
  await device.client.deleteFile(doomed);
  await device.client.commit();

  const expectedIndex = [
    { fileUUID: kept, version: 1, deleted: false, sha256: sha256Hex(keptV1) },
    { fileUUID: gone, version: 0, deleted: true, sha256: sha256Hex(first.get(gone)!) },
    { fileUUID: doomed, version: 0, deleted: true, sha256: sha256Hex(first.get(doomed)!) },
    { fileUUID: edited, version: 1, deleted: false, sha256: sha256Hex(editedV1) },
    { fileUUID: incoming, version: 0, deleted: false, sha256: sha256Hex(incomingV0) },
    { fileUUID: fresh, version: 0, deleted: false, sha256: sha256Hex(freshV0) },
  ].sort((a, b) => a.fileUUID.localeCompare(b.fileUUID));
  const expectedDownloads = [
    { fileUUID: kept, version: 1, sha256: sha256Hex(keptV1) },
    { fileUUID: incoming, version: 0, sha256: sha256Hex(incomingV0) },
  ].sort((a, b) => a.fileUUID.localeCompare(b.fileUUID));
  return {
    user,
    device,
    savedBefore: device.app.saved.length,
    deletedBefore: device.app.deleted.length,
    expectedIndex,
    expectedDownloads,
    gone,
    uploads: [
      { fileUUID: fresh, content: freshV0 },
      { fileUUID: edited, content: editedV1 },
    ],
  };
}

async function expectExactEndState(scenario: Scenario): Promise<void> {
  const { user, device } = scenario;
  // The server: each change once, at the version it makes, with its bytes.
  const index = (await user.fileIndex()).files
    .map((file: { fileUUID: string; version: number; deleted: boolean; sha256: string }) => ({
      fileUUID: file.fileUUID,
      version: file.version,
      deleted: file.deleted,
      sha256: file.sha256,
    }))
    .sort((a: { fileUUID: string }, b: { fileUUID: string }) => a.fileUUID.localeCompare(b.fileUUID));
  expect(index).toEqual(scenario.expectedIndex);
  for (const { fileUUID, content } of scenario.uploads) {
    expect(sha256Hex((await cloudContent(harness.server, user.userName, fileUUID)) ?? Buffer.alloc(0)), fileUUID).toBe(
      sha256Hex(content),
    );
  }
  const { db } = harness.server.app.services;
  const userId = (await db.user.findUniqueOrThrow({ where: { name: user.userName } })).id;
  const operations = await db.operation.findMany({ where: { userId } });
  expect(
    operations.filter((operation) => operation.state !== "SUCCEEDED"),
    "unfinished operations",
  ).toEqual([]);
  // Seeder: two outbound; device: two inbound (its first sync and this pass) and one outbound.
  expect(operations.filter((operation) => operation.kind === "INBOUND")).toHaveLength(2);
  expect(operations.filter((operation) => operation.kind === "OUTBOUND")).toHaveLength(3);
  const lock = await db.lock.findUnique({ where: { userId } });
  expect(lock?.holderDeviceId ?? null, "lock holder").toBeNull();

  // The app: each download once, with its bytes; the server's deletion applied once.
  const delivered = device.app.saved
    .slice(scenario.savedBefore)
    .map(({ file, bytes }) => ({ fileUUID: file.fileUUID, version: file.version, sha256: sha256Hex(bytes) }))
    .sort((a, b) => a.fileUUID.localeCompare(b.fileUUID));
  expect(delivered).toEqual(scenario.expectedDownloads);
  expect(device.app.deleted.slice(scenario.deletedBefore).map((files) => files.map((file) => file.fileUUID))).toEqual([
    [scenario.gone],
  ]);

  // The device: what it holds is what the server has, and nothing is pending.
  const held = (await device.store.list("files"))
    .map(({ value }) => ({
      fileUUID: value.fileUUID,
      version: value.version,
      deleted: value.deleted,
      sha256: value.sha256,
    }))
    .sort((a, b) => a.fileUUID.localeCompare(b.fileUUID));
  expect(held).toEqual(scenario.expectedIndex);
  await expectNothingPending(device.store);
  expect(device.client.mode).toBe("idle");
}

/** Registers the server and proxy for the file, and one test per case (with `baseline`, one without a cut first). */
export function describeCuts(title: string, cases: CutCase[], options: { baseline?: boolean } = {}): void {
  beforeAll(async () => {
    harness = await startEngineHarness({ SMSYNC_BATCH_MAX_FILE_BYTES: String(batchMaxFileBytes) });
    proxy = await startCuttingProxy(new URL(harness.server.url).port);
  });
  afterAll(async () => {
    await proxy?.close();
    await harness?.close();
  });

  describe(title, () => {
    if (options.baseline) {
      it("without a cut (the scenario's baseline)", async () => {
        const scenario = await prepareScenario();
        proxy.resetStats();
        await syncUntilIdle(scenario.device.client);
        expect(proxy.stats.cuts).toBe(0);
        await expectExactEndState(scenario);
      });
    }

    for (const cutCase of cases) {
      it(cutCase.name, async () => {
        const scenario = await prepareScenario();
        proxy.resetStats();
        let cuts = 0;
        const arm = () => {
          void proxy.cutAfter(cutCase.rule).then(() => {
            cuts++;
            if (cutCase.then) void proxy.cutAfter(cutCase.then).then(() => cuts++);
          });
        };
        let offArm: (() => void) | undefined;
        if (cutCase.armOn) {
          offArm = scenario.device.client.on(cutCase.armOn as "downloadsFinished", () => {
            offArm?.();
            arm();
          });
        } else arm();
        try {
          const modes = await syncUntilIdle(scenario.device.client);
          expect(cuts, "the cut(s) happened").toBe(cutCase.then ? 2 : 1);
          expect(modes.at(-1)).toBe("idle");
        } finally {
          offArm?.();
          proxy.disarm();
        }
        await expectExactEndState(scenario);
      });
    }
  });
}
