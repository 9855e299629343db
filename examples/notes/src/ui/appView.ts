// The whole signed-in page: header and status, the list, the editor, what
// arrived from other devices, and the conflict dialog.
import { html, type TemplateResult } from "lit-html";
import type { AppState } from "../state.ts";
import { conflictDialog } from "./conflictDialog.ts";
import { editorView, type EditorActions } from "./editorView.ts";
import { fileListView, type FileListActions } from "./fileListView.ts";
import { statusView } from "./statusView.ts";

export interface AppActions extends FileListActions, EditorActions {
  reset: () => void;
  signOut: () => void;
}

export function appView(state: AppState, actions: AppActions): TemplateResult {
  const selected = state.files.find((file) => file.fileUUID === state.selected);
  return html`<header>
      <h1>smsync notes <span class="device">${state.deviceLabel}</span></h1>
      <button type="button" class="link" @click=${actions.signOut}>Sign out</button>
    </header>
    ${statusView(state, actions.reset, actions.signOut)}
    <main class=${selected ? "has-selection" : ""} aria-busy=${state.busy > 0 ? "true" : "false"}>
      ${fileListView(state, actions)} ${editorView(selected, state.problem, actions)}
    </main>
    <aside aria-labelledby="arrivals-title">
      <h2 id="arrivals-title">From other devices</h2>
      <ol class="arrivals" aria-live="polite">
        ${state.arrivals.map((arrival) => html`<li><time>${arrival.at.toLocaleTimeString()}</time> ${arrival.text}</li>`)}
      </ol>
    </aside>
    ${conflictDialog(state.conflicts[0])}`;
}
