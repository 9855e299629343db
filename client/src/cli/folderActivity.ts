// What a folder's sync did, one thing at a time: a line for a person (the
// progress on stderr), or a JSON object for a machine (`smsync watch --json`).
/** How a conflict is settled: `--conflict` of `smsync sync` and `smsync watch`. */
export type ConflictPolicy = "keep-both" | "keep-local" | "accept-remote";

export type FolderActivity =
  /** A local file queued to go up: new, changed, or renamed (`from`). */
  | { type: "uploading"; path: string; bytes: number; from?: string }
  /** A local deletion queued to go up. */
  | { type: "deleting"; path: string }
  /** Another device's file written here; `insteadOf` the path it wanted, when another file held that name. */
  | { type: "downloaded"; path: string; bytes: number; insteadOf?: string }
  /** A file removed here, deleted on another device. */
  | { type: "removed"; path: string }
  /**
   * Both sides changed the file; `keptAs`, this device's content kept beside the server's version;
   * `serverVersionAs`, the server's version kept beside this device's (changed here as it came down).
   */
  | { type: "conflict"; path: string; resolution: ConflictPolicy; keptAs?: string; serverVersionAs?: string }
  /** A local file left out: the account refuses its name. */
  | { type: "notSynced"; path: string; reason: string };

export function describeActivity(activity: FolderActivity): string {
  switch (activity.type) {
    case "uploading":
      return activity.from
        ? `uploading ${activity.path} (renamed from ${activity.from})`
        : `uploading ${activity.path}`;
    case "deleting":
      return `deleting ${activity.path}`;
    case "downloaded":
      return activity.insteadOf
        ? `${activity.insteadOf} would take the place of another file here (paths that differ only in case are one ` +
            `file on macOS and Windows): saved as ${activity.path}\ndownloaded ${activity.path}`
        : `downloaded ${activity.path}`;
    case "removed":
      return `removed ${activity.path} (deleted elsewhere)`;
    case "conflict":
      if (activity.keptAs) return `conflict on ${activity.path}: kept this device's copy as ${activity.keptAs}`;
      if (activity.serverVersionAs) {
        return `conflict on ${activity.path}: changed here as the server's version came down: kept that as ${activity.serverVersionAs}`;
      }
      return activity.resolution === "keep-local"
        ? `conflict on ${activity.path}: kept this device's version over the server's`
        : `conflict on ${activity.path}: took the server's version`;
    case "notSynced":
      return `not synced: ${activity.path}: ${activity.reason}; rename it`;
  }
}
