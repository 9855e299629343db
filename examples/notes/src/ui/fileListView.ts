// The files of the account on this device, with the two ways to add one: a
// new note, attachments from the file picker.
import { html, type TemplateResult } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import type { AppState } from "../state.ts";
import { formatBytes } from "./formatBytes.ts";

export interface FileListActions {
  select: (fileUUID: string) => void;
  newNote: () => void;
  attach: (files: File[]) => void;
}

export function fileListView(state: AppState, actions: FileListActions): TemplateResult {
  const onPick = (event: Event) => {
    const input = event.target as HTMLInputElement;
    actions.attach([...(input.files ?? [])]);
    input.value = "";
  };
  return html`<nav class="files" aria-label="Notes and attachments">
    <div class="add">
      <button type="button" @click=${actions.newNote}>New note</button>
      <label class="button">Add attachments<input type="file" multiple @change=${onPick} /></label>
    </div>
    ${
      state.files.length === 0
        ? html`<p class="empty">No notes yet.</p>`
        : html`<ul>
            ${repeat(
              state.files,
              // Keyed: a file keeps its element (and focus) when others arrive before it in the list.
              (file) => file.fileUUID,
              (file) =>
                html`<li>
                  <button
                    type="button"
                    class="file"
                    aria-current=${state.selected === file.fileUUID ? "true" : "false"}
                    @click=${() => actions.select(file.fileUUID)}
                  >
                    <span class="kind">${file.kind === "note" ? "note" : "file"}</span>
                    <span class="name">${file.name}</span>
                    <span class="meta"
                      >${formatBytes(file.size)}${file.pending ? html` · <em>not synced yet</em>` : ""}</span
                    >
                  </button>
                </li>`,
            )}
          </ul>`
    }
  </nav>`;
}
