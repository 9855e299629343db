// Builds and starts the whole server from a configuration: migrations, the
// HTTP server with its three planes, the transfer worker, the sweeper.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BlockHashCache } from "./batches/BlockHashCache.ts";
import { FileIndexCache } from "./fileIndex/FileIndexCache.ts";
import type { CloudStorage } from "./cloud/CloudStorage.ts";
import { createCloudStorage } from "./cloud/createCloudStorage.ts";
import type { Config } from "./config/config.ts";
import { openDatabase, providerOf } from "./database/client.ts";
import { checkDurableCommits } from "./database/durableCommits.ts";
import { migrate } from "./database/migrate.ts";
import { makeDirectoryDurablySync } from "./durability/durableFiles.ts";
import { RequestLimits } from "./limits/RequestLimits.ts";
import { LockLine } from "./locks/LockLine.ts";
import { MemoryEventNotifier } from "./events/MemoryEventNotifier.ts";
import type { DeviceCounts } from "./graphql/DeviceSocketLimits.ts";
import { attachGraphQLWebSocket } from "./graphql/websocket.ts";
import { createGraphQLServer } from "./graphql/yoga.ts";
import { createRequestHandler } from "./http/routes.ts";
import { createLogger, type Logger } from "./logging/logger.ts";
import type { Services } from "./services.ts";
import { StagingArea } from "./staging/StagingArea.ts";
import { sweepStaging } from "./staging/StagingSweeper.ts";
import { pruneIdempotencyRecords } from "./idempotency/pruneIdempotencyRecords.ts";
import { systemClock, type Clock } from "./time/clock.ts";
import { TransferWakeups } from "./transfers/TransferWakeups.ts";
import { TransferWorker } from "./transfers/TransferWorker.ts";
import { LastByteCheck } from "./uploads/LastByteCheck.ts";
import { UploadPlane } from "./uploads/UploadPlane.ts";

/** How long the server keeps an idle keep-alive connection: longer than clients' and load balancers' own (60 s is common). */
export const keepAliveTimeoutMs = 65_000;

export interface App {
  services: Services;
  server: Server;
  url: string;
  /** What a device holds open on this instance's graphql-ws plane now (in-memory counts, per instance). */
  webSocketCountsOf(deviceId: string): DeviceCounts;
  close(): Promise<void>;
}

const sweepIntervalMs = 10 * 60_000;

/** Parts a test or an embedding may supply instead of the ones built from the configuration. */
export interface AppOverrides {
  cloud?: CloudStorage;
  /** A test's clock, to move time forward instead of sleeping (time/OffsetClock.ts). */
  clock?: Clock;
}

export async function startApp(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
  overrides: AppOverrides = {},
): Promise<App> {
  makeDirectoryDurablySync(config.dataDir);
  const applied = await migrate(config.databaseUrl);
  if (applied.length > 0) logger.info({ migrations: applied }, "database migrated");
  makeDirectoryDurablySync(config.localCloudDir);

  const db = openDatabase(config.databaseUrl);
  await checkDurableCommits(db, config.databaseUrl, logger);
  const clock = overrides.clock ?? systemClock;
  // What only some configurations use (Google, Redis, Drive) is loaded when they do: a
  // server on the embedded defaults starts without loading jose, ioredis and googleapis.
  const google = config.google
    ? (await import("./google/googleCredentials.ts")).createGoogleCredentials(config.google, db, clock, logger)
    : null;
  // The rate limits count in Redis when instances share it, in memory otherwise.
  const limitsRedis = config.redisUrl
    ? new (await import("ioredis")).Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
    : null;
  limitsRedis?.on("error", (error) => logger.warn({ err: error }, "redis connection error (rate limits)"));
  const services: Services = {
    config,
    db,
    google,
    notifier: config.redisUrl
      ? await (await import("./events/RedisEventNotifier.ts")).RedisEventNotifier.connect(config.redisUrl, logger)
      : new MemoryEventNotifier(),
    cloud: overrides.cloud ?? (await createCloudStorage(config, db, google?.accessTokens)),
    staging: new StagingArea(config.stagingDir),
    logger,
    clock,
    transferWakeups: new TransferWakeups(),
    blockHashes: new BlockHashCache(),
    fileIndexes: new FileIndexCache(),
    lockLine: new LockLine(),
    requestLimits: new RequestLimits(config.requestLimits, limitsRedis, logger),
  };
  const worker = new TransferWorker(services);

  // Before anything can ask for an upload: an upload a kill left with every
  // byte and no outcome is checked now (uploads/LastByteCheck.ts).
  const lastByteCheck = new LastByteCheck(services);
  await lastByteCheck.checkUploadsAKillLeft();
  const yoga = createGraphQLServer(services);
  const uploads = new UploadPlane(services, lastByteCheck);
  // tus carries appMetaData (up to 64 KiB) base64-encoded in a header: above Node's 16 KiB default.
  // An idle keep-alive connection is closed by the client, not by the server: with Node's 5 s, a client
  // whose own idle timer runs late (a busy event loop, a proxy's longer idle timeout) sends its next
  // request on a connection the server is closing, and gets ECONNRESET for a request never read.
  const server = createServer(
    { maxHeaderSize: 128 * 1024, keepAliveTimeout: keepAliveTimeoutMs, headersTimeout: keepAliveTimeoutMs + 1000 },
    createRequestHandler(services, yoga, uploads),
  );
  const webSocket = attachGraphQLWebSocket(server, yoga, services);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  if (config.transferWorker) worker.start();

  // Housekeeping once at start, for what a crash left behind, then
  // periodically; close() waits for a round in flight before it disconnects.
  let housekeeping: Promise<void> = Promise.resolve();
  const sweep = () => {
    services.lockLine.prune(services.clock.now().getTime());
    housekeeping = Promise.all([
      sweepStaging(services),
      pruneIdempotencyRecords(services.db, config.idempotencyRetentionSeconds, services.clock.now()),
    ])
      .then(([swept, idempotencyRecords]) => {
        if (swept.uploads || swept.inbound || idempotencyRecords)
          logger.info({ ...swept, idempotencyRecords }, "housekeeping done");
      })
      .catch((error) => logger.error({ err: error }, "housekeeping failed"));
  };
  sweep();
  const sweeper = setInterval(sweep, sweepIntervalMs);
  sweeper.unref();

  logger.info(
    {
      mode: config.mode,
      url,
      graphql: `${url}/graphql`,
      database: providerOf(config.databaseUrl),
      cloud: services.cloud.name,
      redis: Boolean(config.redisUrl),
    },
    "smsync server listening",
  );

  return {
    services,
    server,
    url,
    webSocketCountsOf: webSocket.countsOf,
    async close() {
      clearInterval(sweeper);
      await housekeeping;
      await worker.stop();
      await webSocket.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await services.notifier.close();
      limitsRedis?.disconnect();
      await services.db.$disconnect();
    },
  };
}
