// Configuration from environment variables: defaults for the embedded
// default, and a wrong value stops the server with a message naming it.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sourceNodeOptions } from "@smsync/testkit";
import { ConfigError, loadConfig } from "../../src/config/config.ts";
import { configErrorOf } from "../support/configErrorOf.ts";

describe("loadConfig", () => {
  it("puts the SQLite database, the cloud directory and staging under one data directory", () => {
    const config = loadConfig({ SMSYNC_DATA_DIR: "/srv/smsync" });
    expect(config.databaseUrl).toBe("file:/srv/smsync/smsync.db");
    expect(config.localCloudDir).toBe("/srv/smsync/cloud");
    expect(config.stagingDir).toBe("/srv/smsync/staging");
    expect(config).toMatchObject({ host: "127.0.0.1", port: 4000, graphiql: true, introspection: true });
  });

  it("takes the rate limits, 0 turning one off, and the trusted proxies", () => {
    expect(loadConfig({}).requestLimits).toEqual({
      perAddress: 1000,
      perDevice: 200,
      perUser: 400,
      perDeviceInFlight: 16,
      windowSeconds: 1,
      trustedProxies: [],
    });
    const set = loadConfig({ SMSYNC_RATE_LIMIT_USER: "0", SMSYNC_TRUSTED_PROXIES: "10.0.0.2, ::1" }).requestLimits;
    expect(set).toMatchObject({ perUser: 0, trustedProxies: ["10.0.0.2", "::1"] });
  });

  it("resolves a relative data directory against the directory npm was run in", () => {
    expect(loadConfig({ SMSYNC_DATA_DIR: "data", INIT_CWD: "/home/me/smsync" }).dataDir).toBe("/home/me/smsync/data");
  });

  it("sets the staging quota to twice the largest upload unless given, and refuses one below it", () => {
    expect(loadConfig({}).stagingQuotaBytes).toBe(10 * 1024 ** 3);
    expect(loadConfig({ SMSYNC_MAX_UPLOAD_BYTES: "1000" }).stagingQuotaBytes).toBe(2000);
    expect(loadConfig({ SMSYNC_STAGING_QUOTA_BYTES: "6000000000" }).stagingQuotaBytes).toBe(6_000_000_000);
    expect(configErrorOf({ SMSYNC_STAGING_QUOTA_BYTES: "999", SMSYNC_MAX_UPLOAD_BYTES: "1000" })).toMatch(
      /SMSYNC_STAGING_QUOTA_BYTES: must be at least SMSYNC_MAX_UPLOAD_BYTES/,
    );
    expect(loadConfig({}).uploadIdleTimeoutSeconds).toBe(60);
    expect(configErrorOf({ SMSYNC_UPLOAD_IDLE_TIMEOUT_SECONDS: "0" })).toContain("SMSYNC_UPLOAD_IDLE_TIMEOUT_SECONDS");
  });

  it("names each wrong variable", () => {
    const attempt = () =>
      loadConfig({
        SMSYNC_PORT: "http",
        DATABASE_URL: "mysql://x",
        SMSYNC_GRAPHIQL: "maybe",
        SMSYNC_LOCK_TTL_SECONDS: "-1",
        SMSYNC_RATE_LIMIT_DEVICE: "-5",
        SMSYNC_TRUSTED_PROXIES: "10.0.0.2,proxy.internal",
      });
    expect(attempt).toThrow(ConfigError);
    const message = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const variable of [
      "SMSYNC_PORT",
      "DATABASE_URL",
      "SMSYNC_GRAPHIQL",
      "SMSYNC_LOCK_TTL_SECONDS",
      "SMSYNC_RATE_LIMIT_DEVICE",
      "SMSYNC_TRUSTED_PROXIES",
    ]) {
      expect(message).toContain(variable);
    }
  });

  it("bounds the graphql-ws plane: 1 MiB messages, 8 connections and 32 subscriptions a device by default", () => {
    expect(loadConfig({})).toMatchObject({
      wsMaxPayloadBytes: 1024 * 1024,
      wsMaxConnectionsPerDevice: 8,
      wsMaxSubscriptionsPerDevice: 32,
    });
    const set = loadConfig({
      SMSYNC_WS_MAX_PAYLOAD_BYTES: "65536",
      SMSYNC_WS_MAX_CONNECTIONS_PER_DEVICE: "2",
      SMSYNC_WS_MAX_SUBSCRIPTIONS_PER_DEVICE: "5",
    });
    expect(set).toMatchObject({
      wsMaxPayloadBytes: 65536,
      wsMaxConnectionsPerDevice: 2,
      wsMaxSubscriptionsPerDevice: 5,
    });
    expect(() => loadConfig({ SMSYNC_WS_MAX_CONNECTIONS_PER_DEVICE: "0" })).toThrow(
      /SMSYNC_WS_MAX_CONNECTIONS_PER_DEVICE/,
    );
  });

  it("stops the server process with the message and exit code 2", () => {
    const result = spawnSync(process.execPath, [...sourceNodeOptions, "src/main.ts"], {
      cwd: path.resolve(import.meta.dirname, "../.."),
      env: {
        ...process.env,
        SMSYNC_PORT: "99999",
        SMSYNC_DATA_DIR: mkdtempSync(path.join(tmpdir(), "smsync-config-")),
      },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/SMSYNC_PORT/);
  });
});
