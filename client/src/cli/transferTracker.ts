// What `smsync sync` is transferring, from the engine's events: each file in
// flight (bytes done of its total) and the run's totals. The CLI tells it
// ahead what it expects: the uploads it queues, and the downloads the server's
// index implies (its files this folder lacks). A transfer it did not expect
// (a file committed elsewhere meanwhile) joins the totals when it starts.
import type { ClientEvents } from "../SmsyncClient.ts";

export type Direction = "upload" | "download";

export interface FileTransfer {
  key: string;
  direction: Direction;
  name: string;
  bytesDone: number;
  bytesTotal: number;
  startedAt: number;
  /** When the last byte moved: a finished file's rate leaves out the wait for the batch's commit. */
  movedAt: number;
}

export interface TransferTotals {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** When the first transfer started (0 before). */
  startedAt: number;
}

/** What a view draws: told of every change; it decides how often to show it. */
export interface TransferView {
  started(file: FileTransfer, totals: TransferTotals): void;
  progressed(file: FileTransfer, totals: TransferTotals): void;
  finished(file: FileTransfer, totals: TransferTotals): void;
  /** A line of its own (what the sync did), shown without breaking the bars. */
  log(line: string): void;
  close(totals: TransferTotals): void;
}

/** The subset of the client the tracker listens to. */
export interface TransferEvents {
  on<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): () => void;
}

export class TransferTracker {
  private readonly inFlight = new Map<string, FileTransfer>();
  /** Transfers the CLI expects, by direction and fileUUID: their names and sizes. */
  private readonly expected = new Map<string, { name: string; bytes: number }>();
  private readonly totals: TransferTotals = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, startedAt: 0 };
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly view: TransferView) {}

  expect(direction: Direction, fileUUID: string, name: string, bytes: number): void {
    const key = `${direction}:${fileUUID}`;
    const known = this.expected.get(key);
    if (known) {
      this.totals.filesTotal--;
      this.totals.bytesTotal -= known.bytes;
    }
    this.expected.set(key, { name, bytes });
    this.totals.filesTotal++;
    this.totals.bytesTotal += bytes;
  }

  log(line: string): void {
    this.view.log(line);
  }

  watch(client: TransferEvents): void {
    this.unsubscribe.push(
      client.on("transferProgress", ({ direction, fileUUID, version, bytesDone, bytesTotal }) =>
        this.progress(direction, fileUUID, version, bytesDone, bytesTotal),
      ),
      client.on("singleUploadComplete", ({ fileUUID, version, kind }) => {
        if (kind === "upload") this.complete("upload", fileUUID, version);
      }),
      client.on("singleDownloadComplete", ({ fileUUID, version }) => this.complete("download", fileUUID, version)),
    );
  }

  close(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
    this.view.close(this.totals);
  }

  private begin(direction: Direction, fileUUID: string, version: number, bytesTotal: number | null): FileTransfer {
    const key = `${direction}:${fileUUID}:${version}`;
    const known = this.inFlight.get(key);
    if (known) return known;
    if (this.totals.startedAt === 0) this.totals.startedAt = Date.now();
    const expected = this.expected.get(`${direction}:${fileUUID}`);
    const file: FileTransfer = {
      key,
      direction,
      name: expected?.name ?? fileUUID.slice(0, 8),
      bytesDone: 0,
      bytesTotal: bytesTotal ?? expected?.bytes ?? 0,
      startedAt: Date.now(),
      movedAt: Date.now(),
    };
    // The size the transfer reports is the truth; an expectation only stood in for it.
    this.totals.bytesTotal += file.bytesTotal - (expected?.bytes ?? 0);
    if (!expected) this.totals.filesTotal++;
    this.inFlight.set(key, file);
    this.view.started(file, this.totals);
    return file;
  }

  private progress(
    direction: Direction,
    fileUUID: string,
    version: number,
    bytesDone: number,
    bytesTotal: number | null,
  ): void {
    const file = this.begin(direction, fileUUID, version, bytesTotal);
    // A resumed transfer may report from an offset: count only what moved forward.
    const done = Math.min(bytesDone, file.bytesTotal || bytesDone);
    if (done > file.bytesDone) {
      this.totals.bytesDone += done - file.bytesDone;
      file.bytesDone = done;
      file.movedAt = Date.now();
    }
    this.view.progressed(file, this.totals);
  }

  private complete(direction: Direction, fileUUID: string, version: number): void {
    // A small file may complete without any progress event.
    const file = this.begin(direction, fileUUID, version, null);
    this.totals.bytesDone += Math.max(0, file.bytesTotal - file.bytesDone);
    file.bytesDone = file.bytesTotal;
    this.totals.filesDone++;
    this.inFlight.delete(file.key);
    this.expected.delete(`${direction}:${fileUUID}`);
    this.view.finished(file, this.totals);
  }
}
