// The reference for the control plane's per-request cost: a graphql-yoga
// server (the version the api uses) with a one-field schema and nothing else,
// in its own process as the smsync server is. It prints its port on stdout.
// Run by controlPlane.ts; by hand: node --import tsx bench/bareYoga.ts
import { createServer } from "node:http";
import { createSchema, createYoga } from "graphql-yoga";

const yoga = createYoga({
  schema: createSchema({ typeDefs: "type Query { ok: Boolean }", resolvers: { Query: { ok: () => true } } }),
  logging: false,
  graphiql: false,
});
// yoga answers errors itself; what escapes is a bench bug: let it crash the process.
const server = createServer((request, response) => void yoga(request, response));
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`${typeof address === "object" && address ? address.port : 0}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
