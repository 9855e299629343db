// Progress bars for a terminal (cli-progress): one bar per file in flight
// (name, bytes done / total, rate) under one bar for the whole run (files and
// bytes). Lines the sync logs meanwhile are printed above the bars.
import cliProgress from "cli-progress";
import { formatBytes, formatRate } from "./byteFormat.ts";
import type { FileTransfer, TransferTotals, TransferView } from "./transferTracker.ts";

const nameWidth = 20;

function shortName(name: string): string {
  return name.length <= nameWidth ? name.padEnd(nameWidth) : `…${name.slice(-(nameWidth - 1))}`;
}

function seconds(since: number): number {
  return since ? (Date.now() - since) / 1000 : 0;
}

function filePayload(file: FileTransfer) {
  const arrow = file.direction === "upload" ? "↑" : "↓";
  return {
    label: `${arrow} ${shortName(file.name)}`,
    counts: `${formatBytes(file.bytesDone)}/${formatBytes(file.bytesTotal)}`,
    rate: formatRate(file.bytesDone, seconds(file.startedAt)),
  };
}

function totalsPayload(totals: TransferTotals) {
  return {
    label: `  ${"total".padEnd(nameWidth)}`,
    counts: `${totals.filesDone}/${totals.filesTotal} files, ${formatBytes(totals.bytesDone)}/${formatBytes(totals.bytesTotal)}`,
    rate: formatRate(totals.bytesDone, seconds(totals.startedAt)),
  };
}

export class ProgressBars implements TransferView {
  private readonly bars: cliProgress.MultiBar;
  private overall: cliProgress.SingleBar | null = null;
  private readonly files = new Map<string, cliProgress.SingleBar>();

  constructor(private readonly stream: NodeJS.WritableStream = process.stderr) {
    this.bars = new cliProgress.MultiBar(
      {
        stream,
        format: "{label} {bar} {percentage}% {counts} {rate}",
        barsize: 15,
        hideCursor: true,
        clearOnComplete: false,
        autopadding: true,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  started(file: FileTransfer, totals: TransferTotals): void {
    this.updateOverall(totals);
    this.files.set(file.key, this.bars.create(Math.max(file.bytesTotal, 1), file.bytesDone, filePayload(file)));
  }

  progressed(file: FileTransfer, totals: TransferTotals): void {
    const bar = this.files.get(file.key);
    if (bar) {
      bar.setTotal(Math.max(file.bytesTotal, 1));
      bar.update(file.bytesDone, filePayload(file));
    }
    this.updateOverall(totals);
  }

  finished(file: FileTransfer, totals: TransferTotals): void {
    const bar = this.files.get(file.key);
    if (bar) this.bars.remove(bar);
    this.files.delete(file.key);
    this.updateOverall(totals);
  }

  log(line: string): void {
    // MultiBar.log prints above the bars at the next redraw; before any bar, print directly.
    if (this.overall) this.bars.log(`${line}\n`);
    else this.stream.write(`${line}\n`);
  }

  close(totals: TransferTotals): void {
    if (this.overall) this.updateOverall(totals);
    this.bars.stop();
  }

  private updateOverall(totals: TransferTotals): void {
    const total = Math.max(totals.bytesTotal, 1);
    // Created before any file's bar, so it stays the first line.
    if (!this.overall) this.overall = this.bars.create(total, totals.bytesDone, totalsPayload(totals));
    this.overall.setTotal(total);
    this.overall.update(totals.bytesDone, totalsPayload(totals));
  }
}
