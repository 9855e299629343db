// Progress for a stderr that is not a terminal (a script, CI, a log file):
// plain lines, never redrawn. A line when bytes first move, then at most one
// a second while they run, one for each large file done (small ones show in
// the totals: a thousand lines for a thousand notes would drown the rest),
// and a last one with the totals.
import { formatBytes, formatRate, formatSeconds } from "./byteFormat.ts";
import type { FileTransfer, TransferTotals, TransferView } from "./transferTracker.ts";

export function totalsText(totals: TransferTotals): string {
  const seconds = (Date.now() - totals.startedAt) / 1000;
  return (
    `${totals.filesDone}/${totals.filesTotal} files, ${formatBytes(totals.bytesDone)}/${formatBytes(totals.bytesTotal)}` +
    ` (${formatRate(totals.bytesDone, seconds)})`
  );
}

export function fileText(file: FileTransfer, finished = false): string {
  const seconds = ((finished ? file.movedAt : Date.now()) - file.startedAt) / 1000;
  const percent = file.bytesTotal > 0 ? Math.floor((file.bytesDone / file.bytesTotal) * 100) : 100;
  return `${file.name} ${percent}% ${formatBytes(file.bytesDone)}/${formatBytes(file.bytesTotal)} (${formatRate(file.bytesDone, seconds)})`;
}

const largeFileBytes = 1024 * 1024;

export class ProgressLines implements TransferView {
  private lastLineAt = 0;
  private active = false;

  constructor(
    private readonly write: (line: string) => void,
    private readonly everyMs = 1000,
  ) {}

  started(): void {
    // Nothing moved yet: the first progress event makes the first line.
  }

  progressed(file: FileTransfer, totals: TransferTotals): void {
    this.maybeShow(file, totals);
  }

  finished(file: FileTransfer, totals: TransferTotals): void {
    if (file.bytesTotal < largeFileBytes) return this.maybeShow(file, totals, true);
    const verb = file.direction === "upload" ? "uploaded" : "downloaded";
    this.write(`progress: ${totalsText(totals)}; ${verb} ${fileText(file, true)}`);
  }

  log(line: string): void {
    this.write(line);
  }

  close(totals: TransferTotals): void {
    if (this.active)
      this.write(`transferred ${totalsText(totals)} in ${formatSeconds((Date.now() - totals.startedAt) / 1000)}`);
  }

  private maybeShow(file: FileTransfer, totals: TransferTotals, finished = false): void {
    const now = Date.now();
    // The first event shows at once, so that even a short transfer leaves a trace.
    if (this.active && now - this.lastLineAt < this.everyMs) return;
    this.active = true;
    this.lastLineAt = now;
    const verb = file.direction === "upload" ? "uploading" : "downloading";
    this.write(`progress: ${totalsText(totals)}; ${verb} ${fileText(file, finished)}`);
  }
}
