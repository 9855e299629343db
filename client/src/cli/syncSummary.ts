// What one `smsync sync` of a folder did.
export interface SyncSummary {
  uploaded: number;
  deleted: number;
  downloaded: number;
  removedLocally: number;
  conflicts: number;
  passes: number;
  bytesUploaded: number;
  bytesDownloaded: number;
  seconds: number;
  /** Local files left out: their names are refused (taken by another file but for case, or not allowed); renaming them fixes it. */
  notSynced: { path: string; reason: string }[];
}
