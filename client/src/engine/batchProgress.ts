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

  constructor(
    private readonly identity: Pick<BatchProgressEvent, "direction" | "batch" | "operationId">,
    files: BatchFile[],
    private readonly emit: (event: BatchProgressEvent) => void,
  ) {
    for (const file of files) {
      this.sizes.set(file.fileUUID, file.size);
      if (file.done) this.done.add(file.fileUUID);
    }
  }

  /** Bytes of one file transferred so far (the resumed part included). */
  fileProgress(fileUUID: string, bytesDone: number): void {
    this.bytesByFile.set(fileUUID, Math.min(bytesDone, this.sizes.get(fileUUID) ?? bytesDone));
    this.report();
  }

  fileDone(fileUUID: string): void {
    this.done.add(fileUUID);
    this.report();
  }

  private report(): void {
    let bytesDone = 0;
    let bytesTotal = 0;
    for (const [fileUUID, size] of this.sizes) {
      bytesTotal += size;
      bytesDone += this.done.has(fileUUID) ? size : (this.bytesByFile.get(fileUUID) ?? 0);
    }
    this.emit({ ...this.identity, filesDone: this.done.size, filesTotal: this.sizes.size, bytesDone, bytesTotal });
  }
}
