import SchemaBuilder from "@pothos/core";
import type { GraphQLContext } from "./context.ts";

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: string; Output: string | Date };
    JSONString: { Input: string; Output: string };
  };
}>({
  defaultFieldNullability: false,
});

builder.scalarType("DateTime", {
  description: "An ISO 8601 date and time in UTC.",
  serialize: (value) => (value instanceof Date ? value.toISOString() : value),
  parseValue: (value) => {
    if (typeof value !== "string" || Number.isNaN(Date.parse(value)))
      throw new TypeError("DateTime must be an ISO 8601 string");
    return value;
  },
});

builder.scalarType("JSONString", {
  description: "A JSON document, as a string.",
  serialize: (value) => value,
  parseValue: (value) => {
    if (typeof value !== "string") throw new TypeError("JSONString must be a string");
    return value;
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

export const idempotencyKeyDescription =
  "A key the client picks once per intended change (a UUID); a retry with the same key returns the stored response.";
