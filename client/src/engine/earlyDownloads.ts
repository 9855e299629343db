// An inbound transfer's files taken as the server stages them: each
// FILES_TRANSFERRED event names files that can be downloaded at once, so
// the downloads overlap the transfer instead of waiting for its end.
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import type { BatchProgress } from "./batchProgress.ts";
import type { ByteEndpoints, EngineContext } from "./EngineContext.ts";
import type { LargeDeliveries } from "./largeDownloads.ts";
import type { IndexEntry } from "./planDownloads.ts";
import { deliverSmallFiles, requestGroups } from "./smallDownloads.ts";

/**
 * The files of an inbound transfer downloaded as the server stages them
 * (`staged`, from its FILES_TRANSFERRED events). Small files a group at a
 * time: while one group comes down, the files staged meanwhile wait, and go
 * together in the next; the first failure stops them, and `settle` waits
 * for the group in flight and then throws it. Large files go to `large`,
 * which the delivery after the transfer's end settles. Files it did not
 * take are left to that delivery.
 */
export class EarlyDownloads<D extends DownloadedFileInfo> {
  /** Acknowledged small files. */
  count = 0;
  private readonly waiting: IndexEntry[] = [];
  private running: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;

  /** `candidates`: the files to deliver, by `${fileUUID}/${version}`; taken from it as they are staged. */
  constructor(
    private readonly ctx: EngineContext<D>,
    private readonly candidates: Map<string, IndexEntry>,
    private readonly endpoints: ByteEndpoints,
    private readonly progress: BatchProgress,
    private readonly large: LargeDeliveries<D>,
  ) {}

  staged(files: readonly { fileUUID: string; version: number }[]): void {
    for (const file of files) {
      const key = `${file.fileUUID}/${file.version}`;
      const entry = this.candidates.get(key);
      if (!entry) continue;
      this.candidates.delete(key);
      if (entry.size > this.endpoints.batchMaxFileBytes) this.large.add([entry]);
      else this.waiting.push(entry);
    }
    this.kick();
  }

  /** Waits for the downloads in flight; throws the first failure. */
  async settle(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure) throw this.failure.error;
  }

  private kick(): void {
    if (this.running || this.waiting.length === 0 || this.failure || this.ctx.signal.aborted) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      this.kick(); // files staged while the last group was handed over
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0 && !this.failure && !this.ctx.signal.aborted) {
        const [group = []] = requestGroups(this.waiting, this.endpoints);
        this.waiting.splice(0, group.length);
        this.count += await deliverSmallFiles(this.ctx, group, this.endpoints, this.progress);
      }
    } catch (error) {
      this.failure = { error };
    }
  }
}
