// Queries run as compiled JavaScript (graphql-jit), each document compiled
// once and cached: the file index of thousands of entries, which every sync
// pass reads, costs a loop of plain property reads instead of graphql-js's
// resolution of every field of every entry. Mutations and subscriptions keep
// graphql-js's executor: they return a handful of fields, and their error
// paths are the ones the tests hold to the letter.
import { useGraphQlJit } from "@envelop/graphql-jit";
import { getOperationAST, OperationTypeNode } from "graphql";
import type { Plugin } from "graphql-yoga";

export function useCompiledQueries(): Plugin {
  return useGraphQlJit(
    {},
    { enableIf: (args) => getOperationAST(args.document, args.operationName)?.operation === OperationTypeNode.QUERY },
  ) as Plugin;
}
