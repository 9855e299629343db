// The flood of figure 5 (lockFairness.ts), in its own process so that its
// loops do not share an event loop with the device being measured: `lock`
// from N loops without pause, ignoring every answer, until SIGTERM; then it
// prints the number of calls and their seconds as JSON on stdout.
// node --import tsx bench/lockFlood.ts <url> <token> <loops>
import { Agent, request } from "node:http";

const [url, token, loops] = process.argv.slice(2);
if (!url || !token || !loops) throw new Error("usage: lockFlood.ts <url> <token> <loops>");
const agent = new Agent({ keepAlive: true, maxSockets: Number(loops) });
let stop = false;
let calls = 0;
const started = performance.now();

function lockOnce(): Promise<void> {
  const body = JSON.stringify({
    query: `mutation($key: String!) { lock(idempotencyKey: $key) { fencingToken } }`,
    variables: { key: crypto.randomUUID() },
  });
  return new Promise((resolve, reject) => {
    const call = request(
      `${url}/graphql`,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      },
      (response) => {
        response.resume();
        response.once("end", resolve);
      },
    );
    call.once("error", reject);
    call.end(body);
  });
}

async function loop(): Promise<void> {
  while (!stop) {
    await lockOnce();
    calls++;
  }
}

process.once("SIGTERM", () => (stop = true));
const running = Promise.all(Array.from({ length: Number(loops) }, loop));
process.stdout.write("ready\n");
await running;
process.stdout.write(`${JSON.stringify({ calls, seconds: (performance.now() - started) / 1000 })}\n`);
agent.destroy();
