// What the app keeps in smsync's appMetaData (JSON text that travels with
// each version): whether a file is a note or an attachment.
import type { FileKind } from "./notesDb.ts";

export function appMetaDataOf(kind: FileKind): string {
  return JSON.stringify({ kind });
}

/** A file another app (or the CLI) put in the account has no metadata: shown as an attachment. */
export function kindOf(appMetaData: unknown): FileKind {
  const text = typeof appMetaData === "string" ? appMetaData : null;
  if (!text) return "attachment";
  try {
    return (JSON.parse(text) as { kind?: unknown }).kind === "note" ? "note" : "attachment";
  } catch (error) {
    if (error instanceof SyntaxError) return "attachment";
    throw error;
  }
}
