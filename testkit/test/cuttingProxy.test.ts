// The cutting proxy's stall (the simulator freezes a lock holder with it):
// while it lasts no byte passes either way, on open connections or new ones;
// afterwards every byte passes, in order, and nothing is lost.
import net from "node:net";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startCuttingProxy, type CuttingProxy } from "../src/cuttingProxy.ts";

/** An echo server that also records when each chunk reached it. */
let echo: net.Server;
const arrivals: { at: number; text: string }[] = [];
let proxy: CuttingProxy;

beforeAll(async () => {
  echo = net.createServer((socket) => {
    socket.on("data", (chunk) => {
      arrivals.push({ at: Date.now(), text: chunk.toString() });
      socket.write(chunk);
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  proxy = await startCuttingProxy((echo.address() as AddressInfo).port);
});
afterAll(async () => {
  await proxy?.close();
  await new Promise((resolve) => echo.close(resolve));
});

async function connect(): Promise<{ socket: net.Socket; received: () => string }> {
  const socket = net.connect(proxy.port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  let text = "";
  socket.on("data", (chunk) => (text += chunk.toString()));
  return { socket, received: () => text };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await sleep(10);
}

it("holds the bytes both ways while stalled, on open and new connections, then passes them in order", async () => {
  const open = await connect();
  open.socket.write("before;");
  await until(() => open.received() === "before;");
  expect(open.received()).toBe("before;");

  const stallMs = 500;
  const started = Date.now();
  const stalled = proxy.stall(stallMs);
  open.socket.write("during-1;");
  const fresh = await connect();
  fresh.socket.write("fresh;");
  open.socket.write("during-2;");
  await sleep(stallMs / 2);
  // Nothing reached the server, nothing came back.
  expect(arrivals.map((arrival) => arrival.text).join("")).toBe("before;");
  expect(open.received()).toBe("before;");
  expect(fresh.received()).toBe("");

  await stalled;
  expect(Date.now() - started).toBeGreaterThanOrEqual(stallMs - 5);
  await until(() => open.received() === "before;during-1;during-2;" && fresh.received() === "fresh;");
  expect(open.received()).toBe("before;during-1;during-2;");
  expect(fresh.received()).toBe("fresh;");
  for (const arrival of arrivals.slice(1)) expect(arrival.at).toBeGreaterThanOrEqual(started + stallMs - 5);

  // Not stalled any more: bytes pass at once.
  open.socket.write("after;");
  await until(() => open.received().endsWith("after;"));
  expect(open.received()).toBe("before;during-1;during-2;after;");
  open.socket.destroy();
  fresh.socket.destroy();
});

it("a second stall that ends later extends the first; one that ends sooner does not shorten it", async () => {
  const started = Date.now();
  const first = proxy.stall(300);
  const longer = proxy.stall(600);
  const shorter = proxy.stall(100);
  expect(longer).toBe(first);
  expect(shorter).toBe(first);
  await first;
  expect(Date.now() - started).toBeGreaterThanOrEqual(595);
  const open = await connect();
  open.socket.write("free;");
  await until(() => open.received() === "free;");
  expect(open.received()).toBe("free;");
  open.socket.destroy();
});
