// The notifier for several server instances: a wake-up published on one
// instance reaches the subscribers on every instance through Redis pub/sub.
// Local subscribers are woken directly as well, so a Redis outage costs
// other instances' subscribers one poll interval, never an event.
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { Redis } from "ioredis";
import type { Logger } from "../logging/logger.ts";
import type { EventNotifier } from "./EventNotifier.ts";

const channel = "smsync:events";

export class RedisEventNotifier implements EventNotifier {
  private readonly instanceId = randomUUID();
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly publisher: Redis;
  private readonly subscriber: Redis;

  private constructor(
    url: string,
    private readonly logger: Logger,
  ) {
    const options = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, { lazyConnect: true });
    for (const connection of [this.publisher, this.subscriber]) {
      connection.on("error", (error) => logger.warn({ err: error }, "redis connection error"));
    }
    this.subscriber.on("message", (_channel: string, message: string) => {
      const separator = message.indexOf(":");
      if (message.slice(0, separator) !== this.instanceId) this.emitter.emit(message.slice(separator + 1));
    });
  }

  static async connect(url: string, logger: Logger): Promise<RedisEventNotifier> {
    const notifier = new RedisEventNotifier(url, logger);
    await notifier.publisher.connect();
    await notifier.subscriber.connect();
    await notifier.subscriber.subscribe(channel);
    return notifier;
  }

  publish(userId: string): void {
    this.emitter.emit(userId);
    // Refused at once while Redis is unreachable (no offline queue): the
    // other instances' subscribers then wake on their next poll.
    this.publisher
      .publish(channel, `${this.instanceId}:${userId}`)
      .catch((error: unknown) =>
        this.logger.warn({ err: error, userId }, "redis publish failed: other instances wake on their next poll"),
      );
  }

  subscribe(userId: string, listener: () => void): () => void {
    this.emitter.on(userId, listener);
    return () => this.emitter.off(userId, listener);
  }

  close(): Promise<void> {
    this.emitter.removeAllListeners();
    this.subscriber.disconnect();
    this.publisher.disconnect();
    return Promise.resolve();
  }
}
