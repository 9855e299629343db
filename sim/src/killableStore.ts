// A client instance's store in the simulator, which can be killed as the
// instance's process would be by SIGKILL: until then it forwards to the real
// store; from the kill on, no call reaches the real store and none returns
// (a call whose write was applied just before the kill never returns either:
// the process died before its caller heard of it). The relaunched instance
// opens its own store on the same file. At the run's end, bury() rejects
// what hangs, so the dead client can be closed and its resources freed.
import type { ClientStore, Collection, EntryOf, KeyIn, StoreChange, ValueAt } from "@smsync/client";

export class KillableStore implements ClientStore {
  private killed = false;
  private buried: Error | undefined;
  private readonly hanging = new Set<(error: Error) => void>();

  /** `beforeCommit` sees each batch before it is written (the simulator reads what a commit is about to clear). */
  constructor(
    readonly inner: ClientStore,
    private readonly beforeCommit?: (changes: StoreChange[]) => Promise<void>,
  ) {}

  kill(): void {
    this.killed = true;
  }

  /** After a kill: every call that hangs, and every later one, fails. */
  bury(): void {
    this.buried = new Error("the client instance was killed");
    for (const reject of this.hanging) reject(this.buried);
    this.hanging.clear();
  }

  get<C extends Collection, K extends KeyIn<C>>(collection: C, key: K): Promise<ValueAt<C, K> | undefined> {
    return this.forward(() => this.inner.get(collection, key));
  }

  list<C extends Collection>(collection: C): Promise<EntryOf<C>[]> {
    return this.forward(() => this.inner.list(collection));
  }

  commit(changes: StoreChange[]): Promise<void> {
    return this.forward(async () => {
      await this.beforeCommit?.(changes);
      if (!this.killed) await this.inner.commit(changes);
    });
  }

  close(): Promise<void> {
    return this.forward(() => this.inner.close());
  }

  private async forward<T>(call: () => Promise<T>): Promise<T> {
    if (this.killed) return this.hang();
    const result = await call();
    if (this.killed) return this.hang();
    return result;
  }

  private hang<T>(): Promise<T> {
    if (this.buried) return Promise.reject(this.buried);
    return new Promise<T>((_, reject) => this.hanging.add(reject));
  }
}
