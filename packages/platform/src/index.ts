export { type AwsClientOptions, type AwsClients, createAwsClients } from "./aws-clients.ts";
export { type BrokerEndpoint, resolveBroker } from "./broker-endpoint.ts";
export {
  type BaseConfig,
  baseConfigSchema,
  baseConfigShape,
  type ConfigProblem,
  isDevEnvironment,
  loadConfig,
  shouldApplyTopology,
  usesDevelopmentDefaults,
} from "./config.ts";
export {
  createDatabase,
  type Database,
  type DatabaseOptions,
  type Knex,
  redactUrl,
} from "./database.ts";
export {
  type EmbeddedBroker,
  type EmbeddedBrokerOptions,
  importDevelopmentOnly,
  startEmbeddedBroker,
} from "./embedded-broker.ts";
export { PlatformError, PlatformErrorCode } from "./errors.ts";
export { createLogger, type Logger, type LoggerOptions, silentLogger } from "./logger.ts";
export { type Migration, type RunMigrationsOptions, runMigrations } from "./migrations.ts";
export { createShutdown, type Shutdown, type ShutdownOptions } from "./shutdown.ts";
