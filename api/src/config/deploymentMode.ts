// Development or production (docs/deploy.md). Development suits a person
// running `npm start` on localhost: GraphiQL, introspection, any CORS origin,
// URLs built from the request's Host. Production turns the first two off
// unless asked for, and refuses to start without the public URL and the
// list of browser origins, which it cannot guess safely.
import { z } from "zod";

export type DeploymentMode = "development" | "production";

export const deploymentModeEnvironmentShape = {
  SMSYNC_ENV: z.enum(["development", "production"]).optional(),
  // Read only for "production", the value the Node.js ecosystem uses; any other value means development.
  NODE_ENV: z.string().optional(),
};

type ModeEnvironment = z.output<z.ZodObject<typeof deploymentModeEnvironmentShape>>;

/** SMSYNC_ENV when set, else production when NODE_ENV=production. */
export function deploymentModeOf(env: ModeEnvironment): DeploymentMode {
  return env.SMSYNC_ENV ?? (env.NODE_ENV === "production" ? "production" : "development");
}

/** What production mode requires, read before the mode-dependent defaults are applied. */
interface ProductionRequirements extends ModeEnvironment {
  SMSYNC_PUBLIC_URL?: string;
  SMSYNC_CORS_ORIGINS?: "*" | string[];
}

const productionHint = "in production mode (SMSYNC_ENV=production, or NODE_ENV=production)";

export function checkProductionEnvironment(env: ProductionRequirements, context: z.RefinementCtx): void {
  if (deploymentModeOf(env) !== "production") return;
  if (!env.SMSYNC_PUBLIC_URL)
    context.addIssue({
      code: "custom",
      path: ["SMSYNC_PUBLIC_URL"],
      message: `is required ${productionHint}: the URL clients reach this server at, such as https://sync.example.com`,
    });
  if (env.SMSYNC_CORS_ORIGINS === undefined || env.SMSYNC_CORS_ORIGINS === "*")
    context.addIssue({
      code: "custom",
      path: ["SMSYNC_CORS_ORIGINS"],
      message: `must list the browser origins allowed (not * nor unset) ${productionHint}, such as https://app.example.com`,
    });
}

/** GraphiQL and introspection: on in development, off in production, unless the variable says otherwise. */
export function developmentToolDefault(explicit: boolean | undefined, mode: DeploymentMode): boolean {
  return explicit ?? mode === "development";
}
