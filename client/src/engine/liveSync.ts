// Live mode (client README, "Live mode"): a pass runs soon after another
// device's commit lands, without the app calling sync(). The server tells
// each commit of the user through the fileIndexChanged subscription (seq,
// the committing device, the files); an event of another device wakes a
// pass, one of this device's own does not (its own pass made it). A wake
// starts a pass after `debounceMs` of quiet, so a burst of commits is one
// pass; the pass is the engine's sync(), so every rule of sync() holds (one
// pass at a time, a rerun after it; none while suspended, in an error mode
// or closed).
//
// While the subscription is down (a restarted server, a cut socket, a
// RATE_LIMITED refusal) it polls the user's eventSeq every `pollMs`, wakes a
// pass when it moved past what was seen, and subscribes again with the last
// seq seen as `after`: the server's durable log replays what was missed, so
// no commit goes untold. A refused token (UNAUTHENTICATED) stops it: retrying
// with that token cannot succeed.
//
// The same as the transfers' follower (followOperation.ts): graphql-ws's own
// retries are off (createGraphQLClient.ts), this resubscribes itself.
import type { CombinedError } from "@urql/core";
import type { Client as WebSocketClient } from "graphql-ws";
import { onEnd, pipe, subscribe } from "wonka";
import { isServerError } from "../errors.ts";
import { deviceQuery, eventSeqQuery, fileIndexChangedSubscription } from "../graphql/operations.ts";
import { queryData, typedError } from "../graphql/queryData.ts";
import type { EngineContext } from "./EngineContext.ts";
import { asError, type SyncEvents } from "./events.ts";
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";

export interface LiveOptions {
  /** Quiet time after a wake before the pass starts, so a burst of events or commits becomes one pass (default 25 ms). */
  debounceMs?: number;
  /** While the subscription is down: how often `eventSeq` is polled and the subscription tried again (default 5000 ms). */
  pollMs?: number;
}

export type RemoteChangeEvent = SyncEvents["remoteChange"];
export type LiveConnectionEvent = SyncEvents["liveConnection"];
export type LiveConnectionState = LiveConnectionEvent["state"];

/** What live mode needs of the engine that owns it. */
export interface LiveSyncHost<D extends DownloadedFileInfo> {
  ctx: EngineContext<D>;
  /** Starts a pass as sync() would (joining one that runs), its outcome told by the mode. */
  startPass(): void;
  /** The graphql-ws client under the subscriptions: when it is connected, the subscription is being served. */
  webSocket?: Pick<WebSocketClient, "on">;
}

/** A burst of wakes puts a pass off by at most this many quiet times: a stream of commits must not starve it. */
const maxDebouncePeriods = 10;

/**
 * How long a subscription may take to be acknowledged before live mode polls
 * instead (a socket that hangs without failing). Not shorter than 10 s: a
 * busy server is slow to answer, and flapping between the two costs more.
 */
const subscribeTimeoutFloorMs = 10_000;

/** Live mode: one per engine; `start` and `stop` any number of times. */
export class LiveSync<D extends DownloadedFileInfo> {
  private readonly ctx: EngineContext<D>;
  private active = false;
  /** Moves at each start and stop: what an earlier start left running (a query's answer, a timer) sees it and ends. */
  private generation = 0;
  private debounceMs = 25;
  private pollMs = 5000;
  private ownDeviceId = "";
  /** The seq of the last fileIndexChanged event seen (or the eventSeq live mode started at): `after` when subscribing. */
  private lastSeq = 0;
  /** The highest eventSeq a poll woke a pass for: the events up to it that a resubscription replays need no pass of their own. */
  private polledSeq = 0;
  private connection: LiveConnectionState = "stopped";
  private webSocketConnected = false;
  private subscription: { unsubscribe(): void } | undefined;
  private cancelPass: (() => void) | undefined;
  private firstWakeAt = 0;
  private cancelPoll: (() => void) | undefined;
  /** Ends the wait of a subscription not yet served (stop() ends it, or start() would never resolve). */
  private endSubscribeWait: (() => void) | undefined;
  private starting: Promise<void> | undefined;

  constructor(private readonly host: LiveSyncHost<D>) {
    this.ctx = host.ctx;
    host.webSocket?.on("connected", () => (this.webSocketConnected = true));
    host.webSocket?.on("closed", () => (this.webSocketConnected = false));
    // After resetFromError the engine syncs again only when asked: live mode asks.
    this.ctx.events.on("modeChanged", ({ mode, previous }) => {
      if (this.active && previous === "resettingFromError" && mode === "idle") this.wake();
    });
  }

  get live(): boolean {
    return this.active;
  }

  /**
   * Reads the device's id and the user's eventSeq, subscribes after it (or
   * polls, if the subscription cannot open), and starts a catch-up pass.
   * Already live: nothing. Rejects when the reads fail (the app tries again).
   */
  start(options: LiveOptions = {}): Promise<void> {
    if (this.active) return Promise.resolve();
    // A second call while the first reads and subscribes is the same start.
    this.starting ??= this.begin(options).finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async begin(options: LiveOptions): Promise<void> {
    const generation = ++this.generation;
    const [device, eventSeq] = await Promise.all([
      this.ctx.client.query(deviceQuery, {}).toPromise(),
      this.ctx.client.query(eventSeqQuery, {}).toPromise(),
    ]);
    if (generation !== this.generation) return; // stopped while reading
    this.ownDeviceId = queryData(device, "device").device.id;
    this.lastSeq = this.polledSeq = queryData(eventSeq, "eventSeq").eventSeq;
    this.debounceMs = options.debounceMs ?? 25;
    this.pollMs = options.pollMs ?? 5000;
    this.active = true;
    await this.subscribe(generation);
    if (this.active) this.host.startPass(); // what changed while this device was not listening
  }

  /** Unsubscribes and cancels the pass scheduled; a pass in flight goes on (suspend() aborts it). */
  stop(error?: Error): void {
    this.generation++;
    const wasActive = this.active;
    this.active = false;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.cancelPass?.();
    this.cancelPass = undefined;
    this.cancelPoll?.();
    this.cancelPoll = undefined;
    this.endSubscribeWait?.();
    if (wasActive || error) this.setConnection("stopped", error);
  }

  /** Schedules a pass after the quiet time (another device's change, the app's commit, a reset). */
  wake(): void {
    if (!this.active) return;
    const now = this.ctx.clock.now();
    if (!this.cancelPass) this.firstWakeAt = now;
    this.cancelPass?.();
    const latest = this.firstWakeAt + maxDebouncePeriods * this.debounceMs;
    this.cancelPass = this.ctx.clock.setTimer(
      () => {
        this.cancelPass = undefined;
        if (this.active) this.host.startPass();
      },
      Math.max(0, Math.min(this.debounceMs, latest - now)),
      "livePass",
    );
  }

  /** Subscribes after lastSeq; resolves once it is served, or has failed and polling took over. */
  private subscribe(generation: number): Promise<void> {
    return new Promise((resolve) => {
      // This subscription's own: callbacks of one that was replaced or stopped find another there and do nothing.
      const mine = { unsubscribe: () => {} };
      const isCurrent = () => generation === this.generation && this.subscription === mine;
      const stopWaiting: (() => void)[] = [];
      const settle = () => {
        for (const stop of stopWaiting.splice(0)) stop();
        if (this.endSubscribeWait === settle) this.endSubscribeWait = undefined;
        resolve();
      };
      this.endSubscribeWait = settle;
      const served = () => {
        if (!isCurrent()) return;
        this.setConnection("subscribed");
        settle();
      };
      const lost = (error?: CombinedError) => {
        if (!isCurrent()) return;
        this.subscription = undefined;
        mine.unsubscribe();
        this.subscriptionLost(generation, error && typedError(error, "fileIndexChanged"));
        settle();
      };
      this.subscription = mine;
      const subscription = pipe(
        this.ctx.client.subscription(fileIndexChangedSubscription, { after: this.lastSeq }),
        onEnd(() => lost()),
        subscribe((result) => {
          if (result.error || !result.data) return lost(result.error);
          if (isCurrent()) this.heard(result.data.fileIndexChanged);
        }),
      );
      mine.unsubscribe = () => subscription.unsubscribe();
      if (!this.host.webSocket || this.webSocketConnected) return served();
      // Not yet connected: served once graphql-ws is acknowledged; polling if that takes too long.
      stopWaiting.push(this.host.webSocket.on("connected", served));
      stopWaiting.push(
        this.ctx.clock.setTimer(() => lost(), Math.max(this.pollMs, subscribeTimeoutFloorMs), "liveSubscribe"),
      );
    });
  }

  private heard(change: RemoteChangeEvent): void {
    if (change.seq <= this.lastSeq) return; // replayed after resubscribing
    this.lastSeq = change.seq;
    if (change.deviceId === this.ownDeviceId) return; // this device's own pass made it
    const { seq, deviceId, operationId, files } = change;
    this.ctx.emit("remoteChange", { seq, deviceId, operationId, files });
    // A replay of what a poll already woke a pass for needs no other pass.
    if (seq > this.polledSeq) this.wake();
  }

  private subscriptionLost(generation: number, error: Error | undefined): void {
    if (isServerError(error, "UNAUTHENTICATED")) return this.stop(error);
    this.setConnection("polling", error);
    this.schedulePoll(generation);
  }

  private schedulePoll(generation: number): void {
    this.cancelPoll = this.ctx.clock.setTimer(
      () => {
        this.cancelPoll = undefined;
        // A failure poll() does not expect: the next poll tries again.
        void this.poll(generation).catch((error: unknown) => {
          if (generation === this.generation) this.subscriptionLost(generation, asError(error));
        });
      },
      this.pollMs,
      "livePoll",
    );
  }

  /** One poll while the subscription is down: a pass if the position moved on, and another try at subscribing. */
  private async poll(generation: number): Promise<void> {
    try {
      const result = await this.ctx.client.query(eventSeqQuery, {}).toPromise();
      if (generation !== this.generation) return;
      const { eventSeq } = queryData(result, "eventSeq");
      if (eventSeq > Math.max(this.lastSeq, this.polledSeq)) {
        this.polledSeq = eventSeq;
        this.wake();
      }
    } catch (error) {
      if (generation !== this.generation) return;
      if (isServerError(error, "UNAUTHENTICATED")) return this.stop(asError(error));
      // Anything else (the network, the server down or busy): the next poll tries again.
    }
    await this.subscribe(generation);
  }

  private setConnection(state: LiveConnectionState, error?: Error): void {
    if (state === this.connection) return;
    this.connection = state;
    this.ctx.emit("liveConnection", { state, ...(error ? { error } : {}) });
  }
}
