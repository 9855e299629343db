// The question the SDK's resolveConflict asks, put to the person: the file
// changed on this device and on another one. A modal <dialog> (focus kept
// inside, announced as a dialog); Escape does not dismiss it, since the sync
// pass waits for an answer.
import { html, nothing, type TemplateResult } from "lit-html";
import type { PendingConflict } from "../sync/conflictQueue.ts";

export function conflictDialog(pending: PendingConflict | undefined): TemplateResult {
  return html`<dialog
    id="conflict-dialog"
    aria-labelledby="conflict-title"
    aria-describedby="conflict-text"
    @cancel=${(event: Event) => event.preventDefault()}
  >
    ${pending ? conflictContent(pending) : nothing}
  </dialog>`;
}

function conflictContent({ conflict, localName, answer }: PendingConflict): TemplateResult {
  const remote = conflict.remote;
  const theirs = remote.deleted
    ? "another device deleted it"
    : `another device saved version ${remote.version} as “${remote.cloudFileName}”`;
  const mine = conflict.local === "delete" ? "you deleted it here" : "you changed it here";
  return html`<h2 id="conflict-title">“${localName}” changed on two devices</h2>
    <p id="conflict-text">While ${mine}, ${theirs}. Which should every device keep?</p>
    <div class="actions">
      <button type="button" class="primary" @click=${() => answer("keep-mine")}>Keep mine</button>
      <button type="button" @click=${() => answer("take-theirs")}>Take theirs</button>
      ${
        conflict.local === "upload" && !remote.deleted
          ? html`<button type="button" @click=${() => answer("keep-both")}>Keep both</button>`
          : nothing
      }
    </div>`;
}

/** Opens the dialog while a conflict waits, closes it once none does. */
export function syncDialogOpen(dialog: HTMLDialogElement | null, open: boolean): void {
  if (!dialog) return;
  if (open && !dialog.open) dialog.showModal();
  if (!open && dialog.open) dialog.close();
}
