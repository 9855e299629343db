// The browser lifecycle handling on its own (in Node, over a stand-in
// window): which event makes which call, and that detaching (close())
// leaves the client deaf to the page. The real events in Chromium are
// exercised by syncEngine.browser.test.ts.
import { describe, expect, it } from "vitest";
import { attachBrowserLifecycle, type LifecycleTarget } from "../../src/browser/lifecycle.ts";

function standInWindow() {
  const document = Object.assign(new EventTarget(), { visibilityState: "visible" });
  const window = Object.assign(new EventTarget(), { document });
  const setVisibility = (state: DocumentVisibilityState) => {
    document.visibilityState = state;
    document.dispatchEvent(new Event("visibilitychange"));
  };
  return {
    window: window as unknown as Window,
    setVisibility,
    fire: (name: string) => window.dispatchEvent(new Event(name)),
  };
}

function recordingClient(): LifecycleTarget & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    setOnline: (online) => void calls.push(`setOnline(${online})`),
    suspend: () => {
      calls.push("suspend");
      return Promise.resolve();
    },
    // A refusal (a closed client, an error mode) must not escape as an unhandled rejection.
    resume: () => {
      calls.push("resume");
      return Promise.reject(new Error("closed"));
    },
  };
}

describe("attachBrowserLifecycle", () => {
  it("turns offline/online into setOnline and hidden/visible into suspend/resume, until detached", async () => {
    const { window, setVisibility, fire } = standInWindow();
    const client = recordingClient();
    const detach = attachBrowserLifecycle(client, window);
    fire("offline");
    fire("online");
    setVisibility("hidden");
    setVisibility("visible");
    await Promise.resolve();
    expect(client.calls).toEqual(["setOnline(false)", "setOnline(true)", "suspend", "resume"]);

    detach();
    fire("offline");
    setVisibility("hidden");
    expect(client.calls).toHaveLength(4);
  });
});
