export {
  type AwsClientOptions,
  type AwsClients,
  type AwsRequestListener,
  createAwsClients,
  longPollClient,
  onAwsDirectFallback,
  onAwsRequest,
  type ResolvedAwsClientOptions,
  resolveAwsClientOptions,
} from "./aws-clients.ts";
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
  DATABASE_CONNECT_TIMEOUT_MS,
  type Database,
  type DatabaseOptions,
  type Knex,
  redactUrl,
} from "./database.ts";
export {
  attemptOnce,
  classifyDependencyError,
  DependencyWaiter,
  type DependencyWaiterOptions,
  type DependencyWaiting,
  type FailureVerdict,
  type LostDependency,
  publicReason,
  type ResolvedDependencyWaiterOptions,
  resolveDependencyWaiterOptions,
  type WaitForDependency,
} from "./dependency-wait.ts";
export {
  type EmbeddedBroker,
  type EmbeddedBrokerOptions,
  importDevelopmentOnly,
  startEmbeddedBroker,
} from "./embedded-broker.ts";
export { type PlatformError, PlatformErrorCode, PlatformErrors } from "./errors.ts";
export {
  createLogger,
  createLogLineFormatter,
  type Logger,
  type LoggerOptions,
  REDACTED_PATHS,
  silentLogger,
} from "./logger.ts";
export { type Migration, type RunMigrationsOptions, runMigrations } from "./migrations.ts";
export { createShutdown, type Shutdown, type ShutdownOptions } from "./shutdown.ts";
export type { RunStatement, StatementResult } from "./statement-pipe.ts";
export {
  addToSagaContext,
  currentSagaContext,
  type SagaLogContext,
  traceIdOf,
  withSagaContext,
} from "./telemetry/log-context.ts";
export {
  CachedReading,
  type Counter,
  counter,
  createMetricsRegistry,
  DURATION_BUCKETS,
  type Gauge,
  gauge,
  type Histogram,
  histogram,
  MetricsRegistry,
  perRegistry,
  registerPoolMetrics,
} from "./telemetry/metrics.ts";
export {
  activeTraceId,
  activeTraceparent,
  type Context,
  context,
  contextFromTraceparent,
  type InSpanOptions,
  inSpan,
  type ResolvedTracingOptions,
  resolveTracingOptions,
  type Span,
  SpanAttribute,
  SpanKind,
  type StartTracingOptions,
  startTracing,
  type Tracing,
  trace,
  tracer,
} from "./telemetry/tracing.ts";
