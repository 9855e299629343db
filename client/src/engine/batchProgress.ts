// Byte progress of a whole batch (the files of one outbound batch, or of one
// inbound transfer), summed from the per-file progress the transfers report,
// so an app can draw one bar for the sync as well as one per file.

export interface BatchProgressEvent {
  direction: "upload" | "download";
  /** The committed batch's number (uploads); null for downloads. */
  batch: number | null;
  /** The server transfer, once known (an inbound transfer's id; null for an upload batch before its commit). */
  operationId: string | null;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface BatchFile {
  fileUUID: string;
  size: number;
  done: boolean;
}

export class BatchProgress {
  private readonly bytesByFile = new Map<string, number>();
  private readonly sizes = new Map<string, number>();
  private readonly done = new Set<string>();
  // Running sums: an event a file must not add up every file of the batch again.
  private bytesDone = 0;
  private bytesTotal = 0;

  constructor(
    private readonly identity: Pick<BatchProgressEvent, "direction" | "batch" | "operationId">,
    files: BatchFile[],
    private readonly emit: (event: BatchProgressEvent) => void,
  ) {
    for (const file of files) {
      if (this.sizes.has(file.fileUUID)) continue;
      this.sizes.set(file.fileUUID, file.size);
      this.bytesTotal += file.size;
      if (file.done) {
        this.done.add(file.fileUUID);
        this.bytesDone += file.size;
      }
    }
  }

  /** Bytes of one file transferred so far (the resumed part included). */
  fileProgress(fileUUID: string, bytesDone: number): void {
    if (!this.done.has(fileUUID)) {
      const bytes = Math.min(bytesDone, this.sizes.get(fileUUID) ?? bytesDone);
      if (this.sizes.has(fileUUID)) this.bytesDone += bytes - (this.bytesByFile.get(fileUUID) ?? 0);
      this.bytesByFile.set(fileUUID, bytes);
    }
    this.report();
  }

  fileDone(fileUUID: string): void {
    const size = this.sizes.get(fileUUID);
    if (size !== undefined && !this.done.has(fileUUID)) {
      this.bytesDone += size - (this.bytesByFile.get(fileUUID) ?? 0);
      this.bytesByFile.delete(fileUUID);
    }
    this.done.add(fileUUID);
    this.report();
  }

  private report(): void {
    const { bytesDone, bytesTotal } = this;
    this.emit({ ...this.identity, filesDone: this.done.size, filesTotal: this.sizes.size, bytesDone, bytesTotal });
  }
}
