// GraphQL Code Generator: typed operations for the client SDK, and the
// schema's types for the test kit's GraphQL client, from the server's schema
// (api/schema.graphql, written by `npm run schema:print`).
//   npm run codegen
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "api/schema.graphql",
  documents: ["client/src/**/*.ts", "!client/src/graphql/generated/**"],
  ignoreNoDocuments: true,
  generates: {
    "client/src/graphql/generated/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        emitLegacyCommonJSImports: false,
        useTypeImports: true,
        scalars: { DateTime: "string", JSONString: "string" },
        enumsAsTypes: true,
      },
    },
    // Every enum of the schema, for ErrorCode: no operation selects it (codes
    // travel in extensions.code), so the preset above leaves it out.
    "client/src/graphql/generated/enums.ts": {
      plugins: ["typescript"],
      config: { onlyEnums: true, enumsAsTypes: true },
    },
    // The schema's types for testkit's TestGraphQLClient, whose queries are
    // strings: each method's result is a Pick of the fields it selects.
    "testkit/src/generated/schema.ts": {
      plugins: ["typescript"],
      config: {
        scalars: { DateTime: "string", JSONString: "string" },
        enumsAsTypes: true,
        // A selected field is always in the response, null or not.
        avoidOptionals: { field: true },
        skipTypename: true,
      },
    },
  },
};

export default config;
