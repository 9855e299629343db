// How the engine follows a server transfer: woken by the transferProgress
// subscription (with polling set to a minute, only the subscription can end
// the wait in time), and by polling when the WebSocket cannot be opened.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ServerTransferEvent } from "../../src/engine/followOperation.ts";
import { useProxiedEngineHarness } from "../support/engineHarness.ts";

const { harness, proxy } = useProxiedEngineHarness();

const aMinute = 60_000;

async function uploadAndDownload(options: {
  serverUrl?: string;
  engine: { pollMs: number; subscribedPollMs: number };
}) {
  const user = await harness.newUser();
  const a = await harness.openClient(user, options);
  const b = await harness.openClient(await harness.newDevice(user.userName), options);
  const events: ServerTransferEvent[] = [];
  a.client.on("serverTransferEvent", (event) => events.push(event));
  b.client.on("serverTransferEvent", (event) => events.push(event));
  await a.client.uploadData(randomUUID(), Buffer.from("followed"), {
    cloudFileName: "followed.txt",
    mimeType: "text/plain",
  });
  await a.client.commit();
  await a.client.sync();
  await b.client.sync();
  expect(b.app.saved.map((saved) => saved.bytes.toString())).toEqual(["followed"]);
  return events;
}

/** The bytes sent towards the server from now on (the proxy sees every one), and how many requests named an operation. */
function recordRequests(): { count: (operationName: string) => number } {
  let sent = "";
  proxy.transform = (direction, chunk) => {
    if (direction === "up") sent += chunk.toString("latin1");
    return chunk;
  };
  return { count: (operationName) => sent.split(`"operationName":"${operationName}"`).length - 1 };
}

describe("following a server transfer", () => {
  it(
    "is woken by the subscription: an upload and a download finish although polling waits a minute",
    { timeout: 30_000 },
    async () => {
      const startedAt = Date.now();
      const events = await uploadAndDownload({ engine: { pollMs: aMinute, subscribedPollMs: aMinute } });
      expect(Date.now() - startedAt).toBeLessThan(aMinute);
      // Both transfers' events, each ending with its final state, seq increasing within each.
      const byOperation = new Map<string, ServerTransferEvent[]>();
      for (const event of events)
        byOperation.set(event.operationId, [...(byOperation.get(event.operationId) ?? []), event]);
      expect(byOperation.size).toBe(2);
      for (const operationEvents of byOperation.values()) {
        const seqs = operationEvents.map((event) => event.seq);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(operationEvents.at(-1)).toMatchObject({ type: "OPERATION_STATE", state: "SUCCEEDED" });
      }
    },
  );

  it("falls back to polling when the WebSocket cannot be opened", { timeout: 30_000 }, async () => {
    // Every WebSocket upgrade (GET /graphql) is cut; queries and mutations (POST) pass.
    void proxy.cutAfter({ direction: "up", afterBytes: 0, match: /^GET \/graphql/, times: Infinity });
    try {
      const events = await uploadAndDownload({
        serverUrl: proxy.url,
        engine: { pollMs: 50, subscribedPollMs: aMinute },
      });
      expect(events).toEqual([]);
    } finally {
      proxy.disarm();
    }
  });

  it(
    "polls the operation without its files, and does not ask for them when it has ended",
    { timeout: 30_000 },
    async () => {
      // Polling, no WebSocket.
      const sent = recordRequests();
      void proxy.cutAfter({ direction: "up", afterBytes: 0, match: /^GET \/graphql/, times: Infinity });
      try {
        await uploadAndDownload({ serverUrl: proxy.url, engine: { pollMs: 50, subscribedPollMs: aMinute } });
      } finally {
        proxy.disarm();
        proxy.transform = null;
      }
      const count = sent.count;
      // A transfer of thousands of files would otherwise send them all at each poll.
      expect(count("OperationStatus")).toBeGreaterThanOrEqual(2);
      expect(count("Operation")).toBe(0); // the engine needs the state only
    },
  );

  it(
    "with the subscription up, polls at each change of state, not at each file transferred",
    { timeout: 60_000 },
    async () => {
      const sent = recordRequests();
      try {
        const device = await harness.openClient(await harness.newUser(), {
          serverUrl: proxy.url,
          engine: { pollMs: aMinute, subscribedPollMs: aMinute },
        });
        // Several of the server's chunks of files, each recorded with a FILES_TRANSFERRED event.
        for (let file = 0; file < 300; file++) {
          await device.client.uploadData(randomUUID(), Buffer.from(`file ${file}`), {
            cloudFileName: `f${file}.txt`,
            mimeType: "text/plain",
          });
        }
        await device.client.commit();
        const transferred: ServerTransferEvent[] = [];
        device.client.on("serverTransferEvent", (event) => transferred.push(event));
        await device.client.sync();
        const chunks = transferred.filter((event) => event.type === "FILES_TRANSFERRED");
        expect(chunks.length).toBeGreaterThan(2);
        expect(chunks.flatMap((event) => event.files ?? [])).toHaveLength(300);
      } finally {
        proxy.transform = null;
      }
      // The first look, then one a state event (started, succeeded): not one a chunk of files.
      expect(sent.count("OperationStatus")).toBeLessThanOrEqual(4);
    },
  );
});
