// Malformed and abusive GraphQL requests get clear errors; production
// switches (GraphiQL, introspection) work; no stack trace reaches a client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusedWithoutWrites, startTestServer, type TestServer, tusUpload } from "@smsync/testkit";

let server: TestServer;
let production: TestServer;
beforeAll(async () => {
  server = await startTestServer({ SMSYNC_GRAPHQL_MAX_DEPTH: "2", SMSYNC_GRAPHQL_MAX_ALIASES: "3" });
  production = await startTestServer({ SMSYNC_GRAPHIQL: "false", SMSYNC_INTROSPECTION: "false" });
});
afterAll(async () => {
  await server?.close();
  await production?.close();
});

async function post(target: TestServer, body: string, token?: string) {
  const response = await fetch(`${target.url}/graphql`, {
    method: "POST",
    // The GraphQL-over-HTTP media type: request errors answer 4xx.
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
  });
  return {
    status: response.status,
    json: (await response.json()) as { errors?: { message: string; extensions?: Record<string, unknown> }[] },
  };
}

/** A request the server must refuse, which writes nothing. */
const refused = (body: string, token?: string) =>
  refusedWithoutWrites(server.app.services.db, () => post(server, body, token));

describe("GraphQL requests", () => {
  it("answers a syntax error with 400 and the error's location", async () => {
    const { status, json } = await refused(JSON.stringify({ query: "{ fileIndex { files " }));
    expect(status).toBe(400);
    expect(json.errors?.[0]?.message).toMatch(/Syntax Error/);
  });

  it("answers a body that is not JSON, and an unknown field, with 400", async () => {
    expect((await refused("{not json")).status).toBe(400);
    const unknown = await refused(JSON.stringify({ query: "{ noSuchField }" }));
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors?.[0]?.message).toMatch(/noSuchField/);
  });

  it("refuses documents deeper than the limit or with too many aliases", async () => {
    const device = await server.newUser();
    const deep = await refused(
      JSON.stringify({ query: "{ serverInfo { limits { maxUploadBytes } } }" }),
      device.token!,
    );
    expect(JSON.stringify(deep.json.errors)).toMatch(/depth/i);
    const aliases = await refused(
      JSON.stringify({
        query:
          "{ a: serverInfo { version } b: serverInfo { version } c: serverInfo { version } d: serverInfo { version } e: serverInfo { version } }",
      }),
    );
    expect(JSON.stringify(aliases.json.errors)).toMatch(/alias/i);
  });

  it("answers an out-of-range argument with an error that carries no stack trace", async () => {
    const device = await server.newUser();
    const { json } = await refused(
      JSON.stringify({ query: 'mutation { lock(idempotencyKey: "k", ttlSeconds: 99999999999) { fencingToken } }' }),
      device.token!,
    );
    const text = JSON.stringify(json);
    expect(json.errors?.length).toBeGreaterThan(0);
    expect(text).not.toMatch(/\bat \S+ \(/);
    expect(text).not.toMatch(/\.ts:\d+/);
  });
});

describe("production switches", () => {
  it("serves GraphiQL from the server itself, with no CDN", async () => {
    const response = await fetch(`${server.url}/graphql`, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/graphiql/i);
    expect(html).not.toMatch(/unpkg\.com|jsdelivr|cdn\./);
  });

  it("turns GraphiQL and introspection off", async () => {
    const page = await fetch(`${production.url}/graphql`, { headers: { accept: "text/html" } });
    expect(await page.text()).not.toMatch(/<html/i);
    const introspection = await post(production, JSON.stringify({ query: "{ __schema { types { name } } }" }));
    expect(JSON.stringify(introspection.json.errors)).toMatch(/introspection/i);
    const allowed = await post(server, JSON.stringify({ query: "{ __schema { queryType { name } } }" }));
    expect(allowed.json.errors).toBeUndefined();
  });

  it("masks an unexpected failure as INTERNAL_SERVER_ERROR with no stack trace or internals", async () => {
    const device = await production.newUser();
    const { fencingToken } = await device.lock();
    await tusUpload(production.url, device.token!, { version: 0, content: Buffer.from("x"), fencingToken });
    // Break the database under the server: commit's event append fails inside Prisma.
    await production.app.services.db.$executeRawUnsafe('DROP TABLE "Event"');
    const { json } = await post(
      production,
      JSON.stringify({ query: `mutation { commit(idempotencyKey: "c", fencingToken: ${fencingToken}) { id } }` }),
      device.token!,
    );
    expect(json.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    expect(json.errors?.[0]?.message).toBe("Unexpected error.");
    expect(JSON.stringify(json)).not.toMatch(/Event|prisma|\.ts:\d+|\bat \S+ \(/i);
  });
});
