// What the page shows, in one object, and who re-renders when it changes.
import type { BatchProgressEvent, LiveConnectionState, Mode } from "@smsync/client/browser";
import type { NoteFile } from "./localFiles/notesDb.ts";
import type { PendingConflict } from "./sync/conflictQueue.ts";

export interface ShownFile extends NoteFile {
  /** A change here that the server has not confirmed yet. */
  pending: boolean;
}

export interface Arrival {
  id: number;
  text: string;
  at: Date;
}

export interface AppState {
  deviceLabel: string;
  files: ShownFile[];
  selected: string | null;
  mode: Mode;
  /** The error of an error mode: its code and message. */
  modeError: { code: string; message: string } | null;
  online: boolean;
  live: LiveConnectionState | "starting";
  /** Why live mode stopped for good (the server refused the token): the person signs in again. */
  liveError: string | null;
  progress: BatchProgressEvent | null;
  /** Files whose change has not reached the server. */
  pendingUploads: number;
  /** What came from other devices, newest first. */
  arrivals: Arrival[];
  conflicts: PendingConflict[];
  /** The last failed action of the person (e.g. a name already taken). */
  problem: string | null;
  /** Actions of the person's still running (their SDK calls, then the refresh): the page is aria-busy meanwhile. */
  busy: number;
}

export class Store {
  private listeners: (() => void)[] = [];

  constructor(public state: AppState) {}

  update(change: Partial<AppState>): void {
    this.state = { ...this.state, ...change };
    for (const listener of this.listeners) listener();
  }

  subscribe(listener: () => void): void {
    this.listeners.push(listener);
  }
}
