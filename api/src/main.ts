// `npm start`: the smsync server, configured by environment variables
// (README.md lists them).
import { ConfigError, loadConfig } from "./config/config.ts";
import { createLogger } from "./logging/logger.ts";
import { startApp } from "./app.ts";
import { DatabaseNotDurableError } from "./database/sqliteSynchronousFull.ts";

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`smsync: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

const logger = createLogger(config.logLevel);
const app = await startApp(config, logger).catch((error: unknown) => {
  if (!(error instanceof DatabaseNotDurableError)) throw error;
  logger.fatal(
    { err: error },
    "refusing to start: the database would not keep acknowledged commits through a power loss",
  );
  process.exit(2);
});
if (config.graphiql) logger.info(`GraphiQL: ${app.url}/graphql`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, "stopping");
    app.close().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, "stopping failed");
        process.exit(1);
      },
    );
  });
}
