// The device's state at a glance: its mode (synchronizing, offline, an
// error with its code and the reset button), what waits to go up, how live
// mode hears of changes, and the progress of the transfer in flight.
import { html, nothing, type TemplateResult } from "lit-html";
import { isErrorMode } from "@smsync/client/browser";
import type { AppState } from "../state.ts";
import { formatBytes } from "./formatBytes.ts";

const modeText: Record<AppState["mode"], string> = {
  idle: "Up to date",
  synchronizing: "Synchronizing…",
  networkNotConnected: "Offline: changes are kept and go up when the server is reachable",
  resettingFromError: "Resetting…",
  internalError: "Sync stopped",
  nonRecoverableError: "Sync stopped",
};

const liveText: Record<AppState["live"], string> = {
  starting: "connecting",
  subscribed: "live",
  polling: "polling",
  stopped: "not live",
};

export function statusView(state: AppState, reset: () => void, signOut: () => void): TemplateResult {
  const offline = !state.online;
  const mode = offline ? "Offline: changes are kept and go up when the network returns" : modeText[state.mode];
  const waiting = state.pendingUploads > 0 ? ` · ${state.pendingUploads} waiting to go up` : "";
  return html`
    <div class="status" role="status" aria-live="polite" data-mode=${offline ? "offline" : state.mode}>
      <span class="mode">${mode}</span><span class="waiting">${waiting}</span>
      <span class="live" title="How this device hears of other devices' changes">${liveText[state.live]}</span>
    </div>
    ${
      // The mode is kept across a reload, its error not: the button is there either way.
      isErrorMode(state.mode)
        ? html`<div class="error" role="alert">
            <p>
              ${
                state.modeError
                  ? html`Sync stopped with <code class="error-code">${state.modeError.code}</code>${
                        state.modeError.message ? `: ${state.modeError.message}` : nothing
                      }`
                  : "Sync stopped before this page was opened"
              }
            </p>
            <button type="button" @click=${reset}>Reset and retry</button>
          </div>`
        : nothing
    }
    ${
      state.liveError
        ? html`<div class="error" role="alert">
            <p>This device no longer hears of other devices' changes: ${state.liveError}</p>
            <button type="button" @click=${signOut}>Sign in again</button>
          </div>`
        : nothing
    }
    ${state.progress ? progressView(state.progress) : nothing}
  `;
}

function progressView(progress: NonNullable<AppState["progress"]>): TemplateResult {
  const verb = progress.direction === "upload" ? "Uploading" : "Downloading";
  const files = progress.filesTotal === 1 ? "file" : "files";
  const label = `${verb} ${progress.filesDone} of ${progress.filesTotal} ${files}, ${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}`;
  return html`<div class="progress">
    <label for="transfer-progress">${label}</label>
    <progress id="transfer-progress" max=${progress.bytesTotal || 1} .value=${progress.bytesDone}>${label}</progress>
  </div>`;
}
