// The follower's wake-up against a scripted server: the transfer's end,
// told by the subscription while the follower is asking for the status
// (whose answer was read before the end), must not wait for the next safety
// poll. Polling is set to an hour on a clock that never fires, so only the
// subscription can end the follow.
import type { Client } from "@urql/core";
import { describe, expect, it } from "vitest";
import { followOperation, type Operation } from "../../src/engine/followOperation.ts";
import type { Clock } from "../../src/time/clock.ts";

const anHour = 3_600_000;
const stoppedClock: Clock = { now: () => 0, setTimer: () => () => {} };

function operation(state: string): Operation {
  return {
    id: "op-1",
    kind: "UPLOAD",
    state,
    attempts: 1,
    failedPhase: null,
    errorCode: null,
    errorMessage: null,
    filesTotal: 1,
    filesDone: state === "SUCCEEDED" ? 1 : 0,
    bytesTotal: 5,
    bytesDone: state === "SUCCEEDED" ? 5 : 0,
    createdAt: "2026-12-07T00:00:00.000Z",
    files: [],
  } as unknown as Operation;
}

/** A server whose transfer ends while the follower's first status request is in flight (answered as it was before). */
function endingDuringTheFirstStatusRequest() {
  let tell: ((result: unknown) => void) | undefined;
  let statusRequests = 0;
  const client = {
    subscription: () => ({
      subscribe: (sink: (result: unknown) => void) => {
        tell = sink;
        return { unsubscribe: () => (tell = undefined) };
      },
    }),
    query: () => ({
      toPromise: async () => {
        statusRequests++;
        if (statusRequests === 1) {
          const answer = { data: { operation: operation("RUNNING") } };
          await Promise.resolve();
          tell?.({
            data: { transferProgress: { seq: 1, operationId: "op-1", type: "OPERATION_STATE", state: "SUCCEEDED" } },
          });
          return answer;
        }
        return { data: { operation: operation("SUCCEEDED") } };
      },
    }),
  };
  return { client: client as unknown as Client, statusRequests: () => statusRequests };
}

describe("followOperation", () => {
  it("asks again at once when the end is told while it is asking for the status", async () => {
    const server = endingDuringTheFirstStatusRequest();
    const ended = await followOperation({
      client: server.client,
      operationId: "op-1",
      clock: stoppedClock,
      pollMs: anHour,
      subscribedPollMs: anHour,
      signal: new AbortController().signal,
    });
    expect(ended.state).toBe("SUCCEEDED");
    // The running status and the ended one: the end is followed without the operation's files.
    expect(server.statusRequests()).toBe(2);
  });
});
