// The selected file: a note's name and text, or an attachment's name, size
// and bytes to download; each can be renamed and deleted.
import { html, nothing, type TemplateResult } from "lit-html";
import type { ShownFile } from "../state.ts";
import { formatBytes } from "./formatBytes.ts";
import { formText } from "./formText.ts";

export interface EditorActions {
  saveNote: (fileUUID: string, name: string, text: string) => void;
  rename: (fileUUID: string, name: string) => void;
  delete: (fileUUID: string) => void;
  close: () => void;
}

export function editorView(
  file: ShownFile | undefined,
  problem: string | null,
  actions: EditorActions,
): TemplateResult {
  if (!file) return html`<section class="editor empty" aria-label="Editor"><p>Choose a note or add one.</p></section>`;
  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const name = formText(form, "name");
    if (file.kind === "note") actions.saveNote(file.fileUUID, name, formText(form, "text"));
    else actions.rename(file.fileUUID, name);
  };
  // Ctrl+S (⌘S) saves, as in any editor.
  const onKeyDown = (event: KeyboardEvent) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault();
      (event.currentTarget as HTMLFormElement).requestSubmit();
    }
  };
  return html`<section class="editor" aria-label="Editor">
    <form @submit=${onSubmit} @keydown=${onKeyDown}>
      <label for="file-name">Name</label>
      <input id="file-name" name="name" required autocomplete="off" .value=${file.name} />
      ${
        file.kind === "note" && typeof file.content === "string"
          ? html`<label for="note-text">Text</label>
              <textarea id="note-text" name="text" rows="12" .value=${file.content}></textarea>`
          : html`<p class="attachment-info">
              ${file.mimeType}, ${formatBytes(file.size)}
              <button type="button" @click=${() => download(file)}>Download</button>
            </p>`
      }
      ${problem ? html`<p class="problem" role="alert">${problem}</p>` : nothing}
      <div class="actions">
        <button type="submit" class="primary">${file.kind === "note" ? "Save" : "Rename"}</button>
        <button type="button" class="danger" @click=${() => actions.delete(file.fileUUID)}>Delete</button>
        <button type="button" @click=${actions.close}>Close</button>
      </div>
    </form>
  </section>`;
}

/** The attachment's bytes as a download of the browser's. */
function download(file: ShownFile): void {
  const blob = typeof file.content === "string" ? new Blob([file.content], { type: file.mimeType }) : file.content;
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: file.name });
  link.click();
  // The browser has taken the URL once the click's task is over.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
