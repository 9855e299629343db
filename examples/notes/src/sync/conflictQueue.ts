// Conflicts the SDK asks about (resolveConflict) wait here for the person's
// answer in the dialog, one at a time, while the sync pass waits for it.
import type { Conflict } from "@smsync/client/browser";

export type ConflictChoice = "keep-mine" | "take-theirs" | "keep-both";

export interface PendingConflict {
  conflict: Conflict;
  /** The name this device knows the file by. */
  localName: string;
  answer: (choice: ConflictChoice) => void;
}

export class ConflictQueue {
  private waiting: PendingConflict[] = [];

  constructor(private readonly changed: (waiting: PendingConflict[]) => void) {}

  ask(conflict: Conflict, localName: string): Promise<ConflictChoice> {
    return new Promise((resolve) => {
      const pending: PendingConflict = {
        conflict,
        localName,
        answer: (choice) => {
          this.waiting = this.waiting.filter((other) => other !== pending);
          this.changed(this.waiting);
          resolve(choice);
        },
      };
      this.waiting = [...this.waiting, pending];
      this.changed(this.waiting);
    });
  }
}
