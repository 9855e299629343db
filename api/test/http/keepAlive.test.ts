// A client's idle keep-alive connection is closed by the client, never by
// the server under it: a connection idle past Node's default 5 s still
// carries the next request, so a client whose own idle timer runs late
// never sends on a connection the server is closing (ECONNRESET).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, it } from "vitest";
import { keepAliveTimeoutMs } from "../../src/app.ts";
import { useTestServer } from "@smsync/testkit";

const server = useTestServer();

/** GET /healthz on the agent's connection: the answer's Keep-Alive header and the local port it came over. */
function health(agent: http.Agent): Promise<{ keepAlive: string | string[] | undefined; localPort: number }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${server.url}/healthz`, { agent }, (response) => {
      response.resume();
      response.on("end", () =>
        resolve({
          keepAlive: response.headers["keep-alive"],
          localPort: (request.socket!.address() as AddressInfo).port,
        }),
      );
    });
    request.on("error", reject);
  });
}

it("keeps an idle keep-alive connection past Node's default 5 s, and says for how long", async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const first = await health(agent);
    expect(first.keepAlive).toBe(`timeout=${keepAliveTimeoutMs / 1000}`);
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const second = await health(agent);
    expect(second.localPort, "the second request went over the same connection").toBe(first.localPort);
  } finally {
    agent.destroy();
  }
}, 30_000);
