import {
  createLogger,
  createMetricsRegistry,
  createShutdown,
  type Logger,
  loadConfig,
  type MetricsRegistry,
  type Shutdown,
  startTracing,
} from "@sagaworks/platform";
import type { z } from "zod";

/** The part of a Fastify app that {@link runService} needs. */
export interface ListenableApp {
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<unknown>;
}

/** What a service's `start` returns: the app to listen with, and where. */
export interface StartedService<App extends ListenableApp = ListenableApp> {
  app: App;
  port: number;
  host: string;
}

/** Options for {@link runService}. */
export interface RunServiceOptions<Schema extends z.ZodType, App extends ListenableApp> {
  /** Process name: on every log line, and in the `<name> ready` line. */
  name: string;
  /** The process's whole environment schema; its `LOG_LEVEL` (if any) sets the log level. */
  configSchema: Schema;
  /**
   * Opens resources and builds the app. Register cleanup on `shutdown` as resources open (the
   * HTTP server is closed before any of them). Throwing ends the process with exit code 1.
   */
  start: (
    config: z.infer<Schema>,
    logger: Logger,
    shutdown: Shutdown,
    telemetry: ProcessTelemetry,
  ) => Promise<StartedService<App>>;
  /** The environment to read; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
}

/** What runService sets up for the whole process: pass `metrics` to every part that counts. */
export interface ProcessTelemetry {
  /** The process's one Prometheus registry (default Node metrics included); serve it at /metrics. */
  metrics: MetricsRegistry;
}

/** A service that is listening. */
export interface RunningService<Config, App extends ListenableApp> {
  app: App;
  config: Config;
  logger: Logger;
  shutdown: Shutdown;
  /** The address it listens on, e.g. `http://127.0.0.1:3003`. */
  address: string;
}

/**
 * Runs a service process: reads the config (refusing to start with every problem listed), creates
 * the logger, registers graceful shutdown on SIGTERM/SIGINT, starts the service, listens, and logs
 * `<name> ready` with its `address`. Any start-up failure is logged as fatal and exits with 1.
 */
export async function runService<Schema extends z.ZodType, App extends ListenableApp>(
  options: RunServiceOptions<Schema, App>,
): Promise<RunningService<z.infer<Schema>, App>> {
  const env = options.env ?? process.env;
  let config: z.infer<Schema>;
  try {
    config = loadConfig(options.configSchema, env);
  } catch (error) {
    // No level can be trusted yet (LOG_LEVEL may be the problem), so report at the default.
    createLogger({ name: options.name }).fatal({ err: error }, `${options.name} cannot start`);
    return process.exit(1);
  }
  const level = (config as { LOG_LEVEL?: unknown }).LOG_LEVEL;
  // Not every process's schema has LOG_LEVEL; without it the logger's default applies.
  const logger = createLogger({
    name: options.name,
    level: typeof level === "string" ? level : undefined,
  });
  const shutdown = createShutdown({ logger });
  // Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; started before anything makes a span.
  const tracing = startTracing({
    serviceName: `sagaworks-${options.name}`,
    env,
  });
  if (tracing) shutdown.onShutdown("tracing", () => tracing.shutdown());
  const telemetry: ProcessTelemetry = {
    metrics: createMetricsRegistry({ process: options.name }),
  };
  try {
    const { app, port, host } = await options.start(config, logger, shutdown, telemetry);
    // Registered after everything start opened, so it runs first: stop taking requests and let
    // in-flight ones finish before the database behind them closes.
    shutdown.onShutdown("http server", async () => {
      await app.close();
    });
    const address = await app.listen({ port, host });
    logger.info({ address }, `${options.name} ready`);
    return { app, config, logger, shutdown, address };
  } catch (error) {
    logger.fatal({ err: error }, `${options.name} cannot start`);
    // Release what start opened (pools, embedded database) so the exit is not held up.
    await shutdown.shutdown("start-up failed");
    return process.exit(1);
  }
}
