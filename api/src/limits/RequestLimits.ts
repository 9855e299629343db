// Rate limits and a concurrency cap on every HTTP request (GraphQL, tus, the
// batch paths, downloads) and every WebSocket connection, decided before the
// request is parsed or touches the database, so that a flood is refused for
// almost nothing:
//   - per client address (the peer, or the X-Forwarded-For hop a trusted proxy
//     names);
//   - per device token, as sent (a wrong token is limited like a right one);
//   - per user, once a token has been seen to belong to one (learnCaller);
//   - requests in flight per device token (this instance).
// The rates are counted by rate-limiter-flexible, in this instance's memory
// or, with SMSYNC_REDIS_URL, in Redis, shared by every instance; a key far
// over its limit is then refused from memory without asking Redis.
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Redis } from "ioredis";
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
  type RateLimiterStoreAbstract,
} from "rate-limiter-flexible";
import type { Caller } from "../auth/deviceTokens.ts";
import type { Logger } from "../logging/logger.ts";
import { clientAddress } from "./clientAddress.ts";

export interface RequestLimitsConfig {
  /** Requests per window; 0: no limit. */
  perAddress: number;
  perDevice: number;
  perUser: number;
  /** The length of the windows the requests are counted over, in seconds. */
  windowSeconds: number;
  /** Requests of one device token in flight at once (this instance); 0: no cap. */
  perDeviceInFlight: number;
  /** Peers whose X-Forwarded-For names the client (a reverse proxy). */
  trustedProxies: readonly string[];
}

/** A refusal: the request may be sent again after this long. */
export interface Refusal {
  retryAfterSeconds: number;
  limit: "address" | "device" | "user" | "inFlight";
}

/** What an admitted request must call when it ends. */
export type Release = () => void;

type Limiter = RateLimiterAbstract | RateLimiterStoreAbstract;

/** How many known tokens keep their user (the oldest forgotten first). */
const knownTokensMax = 100_000;

export class RequestLimits {
  private readonly byAddress: Limiter | null;
  private readonly byDevice: Limiter | null;
  private readonly byUser: Limiter | null;
  private readonly inFlight = new Map<string, number>();
  /** Token key -> userId, learned when a token authenticated. */
  private readonly usersOfTokens = new Map<string, string>();

  constructor(
    private readonly config: RequestLimitsConfig,
    redis: Redis | null,
    private readonly logger: Logger,
  ) {
    const limiter = (name: string, points: number): Limiter | null => {
      if (points <= 0) return null;
      const options = { keyPrefix: `smsync:limit:${name}`, points, duration: config.windowSeconds };
      if (!redis) return new RateLimiterMemory(options);
      return new RateLimiterRedis({
        ...options,
        storeClient: redis,
        // A key already over its limit is refused from memory until its window ends: a flood never reaches Redis.
        inMemoryBlockOnConsumed: points,
        inMemoryBlockDuration: config.windowSeconds,
        // Redis unreachable: each instance limits alone rather than not at all.
        insuranceLimiter: new RateLimiterMemory(options),
      });
    };
    this.byAddress = limiter("address", config.perAddress);
    this.byDevice = limiter("device", config.perDevice);
    this.byUser = limiter("user", config.perUser);
  }

  /**
   * Counts the request against its limits: a Release to call when it ends,
   * or the refusal. `token` is the device token as sent (an Authorization
   * header, or a WebSocket's connection parameter), if any.
   */
  async admit(req: IncomingMessage, token: string | null): Promise<Release | Refusal> {
    const tokenKey = token ? tokenKeyOf(token) : null;
    const userId = tokenKey ? this.usersOfTokens.get(tokenKey) : undefined;
    if (tokenKey && this.config.perDeviceInFlight > 0) {
      const running = this.inFlight.get(tokenKey) ?? 0;
      if (running >= this.config.perDeviceInFlight) return { retryAfterSeconds: 1, limit: "inFlight" };
    }
    const refusal =
      (await this.consume(this.byAddress, clientAddress(req, this.config.trustedProxies), "address")) ??
      (tokenKey ? await this.consume(this.byDevice, tokenKey, "device") : null) ??
      (userId ? await this.consume(this.byUser, userId, "user") : null);
    if (refusal) return refusal;
    if (!tokenKey || this.config.perDeviceInFlight <= 0) return () => {};
    this.inFlight.set(tokenKey, (this.inFlight.get(tokenKey) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(tokenKey) ?? 1) - 1;
      if (left > 0) this.inFlight.set(tokenKey, left);
      else this.inFlight.delete(tokenKey);
    };
  }

  /**
   * Refuses every request of the token for `seconds` (429, before it is
   * read): a device asking for what it was told to wait for (the lock,
   * LockLine.ts) spends nothing more of the server's. Without a per-device
   * limit, or when its store fails, nothing is held off.
   */
  async holdOff(token: string, seconds: number): Promise<void> {
    try {
      await this.byDevice?.block(tokenKeyOf(token), seconds);
    } catch (error) {
      this.logger.warn({ err: error }, "rate limiter failed: a device not held off");
    }
  }

  /** The token authenticated as caller: from now on its requests count against the user's limit as well. */
  learnCaller(token: string, caller: Caller): void {
    const tokenKey = tokenKeyOf(token);
    if (this.usersOfTokens.get(tokenKey) === caller.userId) return;
    if (this.usersOfTokens.size >= knownTokensMax) {
      this.usersOfTokens.delete(this.usersOfTokens.keys().next().value!);
    }
    this.usersOfTokens.set(tokenKey, caller.userId);
  }

  private async consume(limiter: Limiter | null, key: string, limit: Refusal["limit"]): Promise<Refusal | null> {
    if (!limiter) return null;
    try {
      await limiter.consume(key);
      return null;
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        return { retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)), limit };
      }
      // The store failed and had no insurance: let the request through rather than refuse everyone.
      this.logger.warn({ err: error, limit }, "rate limiter failed: request let through");
      return null;
    }
  }
}

/** The token as a short key: tokens are secrets, not kept (nor sent to Redis) as they are. */
function tokenKeyOf(token: string): string {
  return createHash("sha256").update(token).digest("base64url").slice(0, 22);
}

export function isRefusal(admitted: Release | Refusal): admitted is Refusal {
  return typeof admitted !== "function";
}
