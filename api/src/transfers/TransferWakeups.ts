// The signal that new transfer work was recorded (a commit, an inbound
// request): resolvers raise it and this instance's transfer worker listens.
// It exists before both, so neither needs the other to be built first.
// (Other instances learn of the work from their own polling and claims.)
export class TransferWakeups {
  private readonly listeners = new Set<() => void>();

  wake(): void {
    for (const listener of this.listeners) listener();
  }

  /** Calls `listener` on every wake until the returned function is called. */
  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
