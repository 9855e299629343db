// Limits on what one GraphQL document may ask for: depth, aliases, cost and
// tokens (graphql-armor), and introspection switched off for production.
import { costLimitPlugin } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { NoSchemaIntrospectionCustomRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Config } from "../../config/config.ts";

function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

export function limitPlugins(config: Config): Plugin[] {
  const plugins = [
    maxDepthPlugin({ n: config.graphqlMaxDepth, ignoreIntrospection: true, exposeLimits: true }),
    maxAliasesPlugin({ n: config.graphqlMaxAliases, exposeLimits: true }),
    costLimitPlugin({ maxCost: config.graphqlMaxCost, ignoreIntrospection: true, exposeLimits: true }),
    maxTokensPlugin({ n: config.graphqlMaxTokens, exposeLimits: true }),
  ] as Plugin[];
  if (!config.introspection) plugins.push(useNoIntrospection());
  return plugins;
}
