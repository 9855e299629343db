// The mode (config/deploymentMode.ts): which variable selects it, and the
// defaults and requirements that follow from it. The server process's
// refusals are in test/startup/productionMode.test.ts.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.ts";
import { configErrorOf } from "../support/configErrorOf.ts";

const deployed = { SMSYNC_PUBLIC_URL: "https://sync.example.com/", SMSYNC_CORS_ORIGINS: "https://app.example.com" };

describe("the deployment mode", () => {
  it("is development by default, with GraphiQL, introspection and any CORS origin", () => {
    expect(loadConfig({})).toMatchObject({
      mode: "development",
      graphiql: true,
      introspection: true,
      corsOrigins: "*",
    });
    expect(loadConfig({ NODE_ENV: "test" }).mode).toBe("development");
  });

  it("is production with NODE_ENV=production alone, GraphiQL and introspection off", () => {
    expect(loadConfig({ NODE_ENV: "production", ...deployed })).toMatchObject({
      mode: "production",
      graphiql: false,
      introspection: false,
      publicUrl: "https://sync.example.com",
      corsOrigins: ["https://app.example.com"],
    });
  });

  it("follows SMSYNC_ENV over NODE_ENV", () => {
    expect(loadConfig({ NODE_ENV: "production", SMSYNC_ENV: "development" })).toMatchObject({
      mode: "development",
      graphiql: true,
    });
    expect(loadConfig({ NODE_ENV: "development", SMSYNC_ENV: "production", ...deployed }).mode).toBe("production");
    expect(configErrorOf({ SMSYNC_ENV: "staging" })).toMatch(/SMSYNC_ENV/);
  });

  it("keeps GraphiQL and introspection in production when asked for", () => {
    expect(
      loadConfig({ SMSYNC_ENV: "production", ...deployed, SMSYNC_GRAPHIQL: "true", SMSYNC_INTROSPECTION: "yes" }),
    ).toMatchObject({ graphiql: true, introspection: true });
    expect(loadConfig({ SMSYNC_GRAPHIQL: "false" }).graphiql).toBe(false);
  });

  it("requires the public URL and a list of CORS origins in production", () => {
    const unset = configErrorOf({ SMSYNC_ENV: "production" });
    expect(unset).toMatch(/SMSYNC_PUBLIC_URL: is required in production mode/);
    expect(unset).toMatch(/SMSYNC_CORS_ORIGINS: must list/);
    const any = configErrorOf({ SMSYNC_ENV: "production", ...deployed, SMSYNC_CORS_ORIGINS: "https://a.example, *" });
    expect(any).toMatch(/SMSYNC_CORS_ORIGINS/);
    expect(any).not.toMatch(/SMSYNC_PUBLIC_URL/);
  });
});
