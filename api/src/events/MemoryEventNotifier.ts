// The notifier for a single server instance.
import { EventEmitter } from "node:events";
import type { EventNotifier } from "./EventNotifier.ts";

export class MemoryEventNotifier implements EventNotifier {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(userId: string): void {
    this.emitter.emit(userId);
  }

  subscribe(userId: string, listener: () => void): () => void {
    this.emitter.on(userId, listener);
    return () => this.emitter.off(userId, listener);
  }

  close(): Promise<void> {
    this.emitter.removeAllListeners();
    return Promise.resolve();
  }
}
