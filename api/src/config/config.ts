// Server configuration, read from environment variables and validated once
// at start. A wrong value stops the server with a message naming the variable.
import { isIP } from "node:net";
import path from "node:path";
import { defaultBatchLimits } from "@smsync/protocol";
import { z } from "zod";
import type { RequestLimitsConfig } from "../limits/RequestLimits.ts";
import {
  checkProductionEnvironment,
  deploymentModeEnvironmentShape,
  deploymentModeOf,
  developmentToolDefault,
  type DeploymentMode,
} from "./deploymentMode.ts";
import { checkGoogleEnvironment, googleConfigFrom, googleEnvironmentShape, type GoogleConfig } from "./googleConfig.ts";
import {
  checkGoogleDriveEnvironment,
  googleDriveConfigFrom,
  googleDriveEnvironmentShape,
  type GoogleDriveConfig,
} from "./googleDriveConfig.ts";

const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

const positiveInt = z.coerce.number().int().positive();
/** A limit where 0 turns it off. */
const limit = z.coerce.number().int().min(0);

/** The items of a comma-separated list, trimmed, empty ones dropped. */
const commaSeparated = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

/** Comma-separated IP addresses. */
const addressList = commaSeparated.refine((addresses) => addresses.every((address) => isIP(address) !== 0), {
  message: "must be comma-separated IP addresses such as 10.0.0.2,10.0.0.3",
});

/** "*" or a list of origins (scheme://host[:port], no path). */
const corsOrigins = commaSeparated
  .refine((origins) => origins.length > 0 && origins.every((origin) => origin === "*" || isOrigin(origin)), {
    message: "must be * or comma-separated origins such as https://app.example.com",
  })
  .transform((origins): "*" | string[] => (origins.includes("*") ? "*" : origins));

function isOrigin(value: string): boolean {
  return URL.canParse(value) && new URL(value).origin === value;
}

const environmentSchema = z
  .object({
    ...deploymentModeEnvironmentShape,
    SMSYNC_HOST: z.string().min(1).default("127.0.0.1"),
    SMSYNC_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    // The URL clients reach this server at, when it differs from host:port
    // (behind a proxy). Used in serverInfo and tus Location headers; without
    // it (development only) they come from the request's Host (http/publicBaseUrl.ts).
    SMSYNC_PUBLIC_URL: z.url().optional(),
    SMSYNC_DATA_DIR: z.string().min(1).default("data"),
    // sqlite: file:<path> or postgresql://... ; defaults to <data dir>/smsync.db.
    DATABASE_URL: z
      .string()
      .refine((url) => url.startsWith("file:") || /^postgres(ql)?:\/\//.test(url), {
        message: "must start with file: (SQLite) or postgresql:// (PostgreSQL)",
      })
      .optional(),
    SMSYNC_CLOUD_BACKEND: z.enum(["local", "google-drive"]).default("local"),
    // The directory that stands in for the users' cloud drives; defaults to
    // <data dir>/cloud.
    SMSYNC_LOCAL_CLOUD_DIR: z.string().min(1).optional(),
    SMSYNC_STAGING_DIR: z.string().min(1).optional(),
    SMSYNC_MAX_UPLOAD_BYTES: positiveInt.default(5 * 1024 * 1024 * 1024),
    // The declared bytes of one user's staged, uncommitted uploads; defaults to
    // twice SMSYNC_MAX_UPLOAD_BYTES (stagingQuota.ts says why).
    SMSYNC_STAGING_QUOTA_BYTES: positiveInt.optional(),
    // An upload's request body (tus PATCH or creation, batch upload) that sends
    // nothing for this long is cut; tus keeps what it received.
    SMSYNC_UPLOAD_IDLE_TIMEOUT_SECONDS: positiveInt.default(60),
    // The batch paths for small files (docs/protocol.md, "Small files in batches").
    SMSYNC_BATCH_MAX_FILE_BYTES: positiveInt.default(defaultBatchLimits.batchMaxFileBytes),
    SMSYNC_BATCH_MAX_FILES: positiveInt.default(defaultBatchLimits.batchMaxFiles),
    SMSYNC_BATCH_MAX_BYTES: positiveInt.default(defaultBatchLimits.batchMaxBytes),
    SMSYNC_UPLOAD_EXPIRY_SECONDS: positiveInt.default(24 * 60 * 60),
    SMSYNC_INBOUND_EXPIRY_SECONDS: positiveInt.default(24 * 60 * 60),
    SMSYNC_IDEMPOTENCY_RETENTION_SECONDS: positiveInt.default(30 * 24 * 60 * 60),
    SMSYNC_LOCK_TTL_SECONDS: positiveInt.default(60),
    SMSYNC_LOCK_MAX_TTL_SECONDS: positiveInt.default(600),
    // The longest a lock call may wait in the server for the lock (its waitSeconds).
    SMSYNC_LOCK_MAX_WAIT_SECONDS: positiveInt.default(30),
    // false: this instance serves the API only and leaves transfers to others.
    SMSYNC_TRANSFER_WORKER: booleanFlag.default(true),
    SMSYNC_TRANSFER_CLAIM_SECONDS: positiveInt.default(15),
    SMSYNC_TRANSFER_POLL_MS: positiveInt.default(500),
    SMSYNC_TRANSFER_MAX_ATTEMPTS: positiveInt.default(8),
    SMSYNC_TRANSFER_BACKOFF_BASE_MS: positiveInt.default(500),
    SMSYNC_TRANSFER_BACKOFF_CAP_MS: positiveInt.default(60_000),
    // How often a transfer waiting for room in a full cloud store tries again.
    SMSYNC_TRANSFER_STORAGE_FULL_POLL_MS: positiveInt.default(20_000),
    // Redis for waking subscribers across server instances; unset for one instance.
    SMSYNC_REDIS_URL: z
      .string()
      .refine((url) => /^rediss?:\/\//.test(url), { message: "must start with redis:// or rediss://" })
      .optional(),
    // How often a subscription re-reads the event log when nothing woke it.
    SMSYNC_EVENT_POLL_MS: positiveInt.default(2000),
    // Unset: on in development, off in production (deploymentMode.ts).
    SMSYNC_GRAPHIQL: booleanFlag.optional(),
    SMSYNC_INTROSPECTION: booleanFlag.optional(),
    SMSYNC_GRAPHQL_MAX_DEPTH: positiveInt.default(10),
    SMSYNC_GRAPHQL_MAX_ALIASES: positiveInt.default(15),
    SMSYNC_GRAPHQL_MAX_COST: positiveInt.default(5000),
    SMSYNC_GRAPHQL_MAX_TOKENS: positiveInt.default(2000),
    // The graphql-ws plane (docs/protocol.md, "WebSocket connections"): a
    // larger message closes its socket with 1009; the caps count per device,
    // in this instance's memory.
    SMSYNC_WS_MAX_PAYLOAD_BYTES: positiveInt.default(1024 * 1024),
    SMSYNC_WS_MAX_CONNECTIONS_PER_DEVICE: positiveInt.default(8),
    SMSYNC_WS_MAX_SUBSCRIPTIONS_PER_DEVICE: positiveInt.default(32),
    // Origins of browser apps allowed to call this server (CORS), comma-separated,
    // or * for any: clients send a bearer token, never cookies, so * lets no
    // page act as a user it has no token of. Unset: * in development; production requires a list.
    SMSYNC_CORS_ORIGINS: corsOrigins.optional(),
    // Requests per window (0: no limit) and requests in flight per device token (docs/protocol.md, "Rate limits").
    SMSYNC_RATE_LIMIT_ADDRESS: limit.default(1000),
    SMSYNC_RATE_LIMIT_DEVICE: limit.default(200),
    SMSYNC_RATE_LIMIT_USER: limit.default(400),
    SMSYNC_IN_FLIGHT_PER_DEVICE: limit.default(16),
    // The windows the requests are counted over, in seconds (a burst may use a whole window's requests at once).
    SMSYNC_RATE_LIMIT_WINDOW_SECONDS: positiveInt.default(1),
    // Reverse proxies whose X-Forwarded-For names the client, for the per-address limit.
    SMSYNC_TRUSTED_PROXIES: addressList.default([]),
    SMSYNC_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    ...googleEnvironmentShape,
    ...googleDriveEnvironmentShape,
  })
  .superRefine(checkProductionEnvironment)
  .superRefine(checkStagingQuota)
  .superRefine(checkGoogleEnvironment)
  .superRefine(checkGoogleDriveEnvironment);

/** A quota below the largest upload would refuse that upload under any lock. */
function checkStagingQuota(
  env: { SMSYNC_STAGING_QUOTA_BYTES?: number; SMSYNC_MAX_UPLOAD_BYTES: number },
  context: z.RefinementCtx,
): void {
  if (env.SMSYNC_STAGING_QUOTA_BYTES !== undefined && env.SMSYNC_STAGING_QUOTA_BYTES < env.SMSYNC_MAX_UPLOAD_BYTES) {
    context.addIssue({
      code: "custom",
      path: ["SMSYNC_STAGING_QUOTA_BYTES"],
      message: `must be at least SMSYNC_MAX_UPLOAD_BYTES (${env.SMSYNC_MAX_UPLOAD_BYTES})`,
    });
  }
}

export interface Config {
  /** development or production: the defaults and requirements of deploymentMode.ts. */
  mode: DeploymentMode;
  host: string;
  port: number;
  publicUrl?: string;
  dataDir: string;
  databaseUrl: string;
  cloudBackend: "local" | "google-drive";
  /** The Google Drive backend's API root and app folder name (used when cloudBackend is google-drive). */
  googleDrive: GoogleDriveConfig;
  localCloudDir: string;
  stagingDir: string;
  maxUploadBytes: number;
  /** The most bytes one user may have staged and uncommitted (declared lengths, tus and batch uploads alike). */
  stagingQuotaBytes: number;
  /** A request body of an upload that sends nothing for this long is cut. */
  uploadIdleTimeoutSeconds: number;
  /** Files up to this size may go by the batch paths; larger ones go over tus and single downloads. */
  batchMaxFileBytes: number;
  batchMaxFiles: number;
  batchMaxBytes: number;
  uploadExpirySeconds: number;
  inboundExpirySeconds: number;
  idempotencyRetentionSeconds: number;
  lockTtlSeconds: number;
  lockMaxTtlSeconds: number;
  /** The largest waitSeconds a lock call may ask for. */
  lockMaxWaitSeconds: number;
  transferWorker: boolean;
  transferClaimSeconds: number;
  transferPollMs: number;
  transferMaxAttempts: number;
  transferBackoffBaseMs: number;
  transferBackoffCapMs: number;
  /** A transfer waiting for room in a full cloud store tries again this often. */
  transferStorageFullPollMs: number;
  redisUrl?: string;
  eventPollMs: number;
  graphiql: boolean;
  introspection: boolean;
  graphqlMaxDepth: number;
  graphqlMaxAliases: number;
  graphqlMaxCost: number;
  graphqlMaxTokens: number;
  /** The largest graphql-ws message accepted; a larger one closes its socket with 1009. */
  wsMaxPayloadBytes: number;
  /** A device's open graphql-ws connections on this instance; the next one is closed with 4429. */
  wsMaxConnectionsPerDevice: number;
  /** A device's running graphql-ws operations on this instance, over all its connections; the next is RATE_LIMITED. */
  wsMaxSubscriptionsPerDevice: number;
  /** Browser origins allowed by CORS ("*": any). */
  corsOrigins: "*" | string[];
  /** Rate limits and the in-flight cap of every request (limits/RequestLimits.ts). */
  requestLimits: RequestLimitsConfig;
  logLevel: string;
  /** Google sign-in and users' Google credentials; null when SMSYNC_GOOGLE_CLIENT_ID is unset. */
  google: GoogleConfig | null;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  // npm runs workspace scripts inside api/; relative paths mean the directory
  // the person ran npm in (INIT_CWD), usually the repository root.
  const baseDir = environment.INIT_CWD ?? process.cwd();
  const dataDir = path.resolve(baseDir, env.SMSYNC_DATA_DIR);
  const mode = deploymentModeOf(env);
  return {
    mode,
    host: env.SMSYNC_HOST,
    port: env.SMSYNC_PORT,
    publicUrl: env.SMSYNC_PUBLIC_URL?.replace(/\/$/, ""),
    dataDir,
    databaseUrl: env.DATABASE_URL ?? `file:${path.join(dataDir, "smsync.db")}`,
    cloudBackend: env.SMSYNC_CLOUD_BACKEND,
    googleDrive: googleDriveConfigFrom(env),
    localCloudDir: path.resolve(baseDir, env.SMSYNC_LOCAL_CLOUD_DIR ?? path.join(dataDir, "cloud")),
    stagingDir: path.resolve(baseDir, env.SMSYNC_STAGING_DIR ?? path.join(dataDir, "staging")),
    maxUploadBytes: env.SMSYNC_MAX_UPLOAD_BYTES,
    stagingQuotaBytes: env.SMSYNC_STAGING_QUOTA_BYTES ?? 2 * env.SMSYNC_MAX_UPLOAD_BYTES,
    uploadIdleTimeoutSeconds: env.SMSYNC_UPLOAD_IDLE_TIMEOUT_SECONDS,
    batchMaxFileBytes: env.SMSYNC_BATCH_MAX_FILE_BYTES,
    batchMaxFiles: env.SMSYNC_BATCH_MAX_FILES,
    batchMaxBytes: env.SMSYNC_BATCH_MAX_BYTES,
    uploadExpirySeconds: env.SMSYNC_UPLOAD_EXPIRY_SECONDS,
    inboundExpirySeconds: env.SMSYNC_INBOUND_EXPIRY_SECONDS,
    idempotencyRetentionSeconds: env.SMSYNC_IDEMPOTENCY_RETENTION_SECONDS,
    lockTtlSeconds: env.SMSYNC_LOCK_TTL_SECONDS,
    lockMaxTtlSeconds: env.SMSYNC_LOCK_MAX_TTL_SECONDS,
    lockMaxWaitSeconds: env.SMSYNC_LOCK_MAX_WAIT_SECONDS,
    transferWorker: env.SMSYNC_TRANSFER_WORKER,
    transferClaimSeconds: env.SMSYNC_TRANSFER_CLAIM_SECONDS,
    transferPollMs: env.SMSYNC_TRANSFER_POLL_MS,
    transferMaxAttempts: env.SMSYNC_TRANSFER_MAX_ATTEMPTS,
    transferBackoffBaseMs: env.SMSYNC_TRANSFER_BACKOFF_BASE_MS,
    transferBackoffCapMs: env.SMSYNC_TRANSFER_BACKOFF_CAP_MS,
    transferStorageFullPollMs: env.SMSYNC_TRANSFER_STORAGE_FULL_POLL_MS,
    redisUrl: env.SMSYNC_REDIS_URL,
    eventPollMs: env.SMSYNC_EVENT_POLL_MS,
    graphiql: developmentToolDefault(env.SMSYNC_GRAPHIQL, mode),
    introspection: developmentToolDefault(env.SMSYNC_INTROSPECTION, mode),
    graphqlMaxDepth: env.SMSYNC_GRAPHQL_MAX_DEPTH,
    graphqlMaxAliases: env.SMSYNC_GRAPHQL_MAX_ALIASES,
    graphqlMaxCost: env.SMSYNC_GRAPHQL_MAX_COST,
    graphqlMaxTokens: env.SMSYNC_GRAPHQL_MAX_TOKENS,
    wsMaxPayloadBytes: env.SMSYNC_WS_MAX_PAYLOAD_BYTES,
    wsMaxConnectionsPerDevice: env.SMSYNC_WS_MAX_CONNECTIONS_PER_DEVICE,
    wsMaxSubscriptionsPerDevice: env.SMSYNC_WS_MAX_SUBSCRIPTIONS_PER_DEVICE,
    corsOrigins: env.SMSYNC_CORS_ORIGINS ?? "*",
    requestLimits: {
      perAddress: env.SMSYNC_RATE_LIMIT_ADDRESS,
      perDevice: env.SMSYNC_RATE_LIMIT_DEVICE,
      perUser: env.SMSYNC_RATE_LIMIT_USER,
      perDeviceInFlight: env.SMSYNC_IN_FLIGHT_PER_DEVICE,
      windowSeconds: env.SMSYNC_RATE_LIMIT_WINDOW_SECONDS,
      trustedProxies: env.SMSYNC_TRUSTED_PROXIES,
    },
    logLevel: env.SMSYNC_LOG_LEVEL,
    google: googleConfigFrom(env),
  };
}
