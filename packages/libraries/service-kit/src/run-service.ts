import {
  createLogger,
  createMetricsRegistry,
  createShutdown,
  DependencyWaiter,
  type Logger,
  loadConfig,
  type MetricsRegistry,
  type Shutdown,
  startTracing,
  type WaitForDependency,
} from "@sagaworks/platform";
import type { z } from "zod";
import { listenWhileStarting, type StartupServer } from "./startup-server.ts";

/** The part of a Fastify app that {@link runService} needs. */
export interface ListenableApp {
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<unknown>;
}

/** What a service's `start` returns: the app to listen with (where: `listenOn`). */
export interface StartedService<App extends ListenableApp = ListenableApp> {
  app: App;
}

/** Options for {@link runService}. */
export interface RunServiceOptions<Schema extends z.ZodType, App extends ListenableApp> {
  /** Process name: on every log line, and in the `<name> live` and `<name> ready` lines. */
  name: string;
  /** The process's whole environment schema; its `LOG_LEVEL` (if any) sets the log level. */
  configSchema: Schema;
  /**
   * Where the process listens, read from the config before `start` runs: a start-up server
   * answers there (`/health` 200, `/ready` 503 naming what it waits for) until the app replaces it.
   */
  listenOn: (config: z.infer<Schema>) => { port: number; host: string };
  /**
   * Opens resources and builds the app. Register cleanup on `shutdown` as resources open (the
   * HTTP server is closed before any of them). Run each step that needs the database or the
   * broker through `startup.waitFor`, so an outage is waited out. Throwing ends the process with
   * exit code 1.
   */
  start: (
    config: z.infer<Schema>,
    logger: Logger,
    shutdown: Shutdown,
    telemetry: ProcessTelemetry,
    startup: ProcessStartup,
  ) => Promise<StartedService<App>>;
  /** The environment to read; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
}

/** What runService sets up for the whole process: pass `metrics` to every part that counts. */
export interface ProcessTelemetry {
  /** The process's one Prometheus registry (default Node metrics included); serve it at /metrics. */
  metrics: MetricsRegistry;
}

/** How a process's `start` reaches its dependencies. */
export interface ProcessStartup {
  /**
   * Runs a step that needs `dependency` (`database`, `broker`) until it succeeds: a transient
   * failure (connection refused, timeouts, 5xx, throttling, Postgres starting up) is logged and
   * retried with back-off (0.5 s doubling to 15 s, with jitter) while `/ready` names it; anything
   * else (a missing queue, refused credentials, a failed migration) is thrown.
   */
  waitFor: WaitForDependency;
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
 * the logger, registers graceful shutdown on SIGTERM/SIGINT, listens at once with a start-up
 * server (`<name> live`), starts the service (waiting out its dependencies), replaces the start-up
 * server with the app on the same port, and logs `<name> ready` with its `address`. A start-up
 * failure that waiting cannot fix is logged as fatal and exits with 1.
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
  const waiter = new DependencyWaiter({ logger });
  // Registered first, so it runs last; a stop during a wait ends the wait (the step throws).
  shutdown.onShutdown("start-up wait", () => waiter.stop());
  const where = options.listenOn(config);
  let startupServer: StartupServer | undefined;
  try {
    startupServer = await listenWhileStarting(
      { waiting: () => waiter.waiting, metrics: telemetry.metrics },
      where,
    );
    const live = startupServer;
    shutdown.onShutdown("start-up server", () => live.close());
    logger.info(
      { address: `http://${where.host}:${live.port}` },
      `${options.name} live: starting (/ready answers 503 until it is ready)`,
    );
    const { app } = await options.start(config, logger, shutdown, telemetry, {
      waitFor: waiter.waitFor,
    });
    // Registered after everything start opened, so it runs first: stop taking requests and let
    // in-flight ones finish before the database behind them closes.
    shutdown.onShutdown("http server", async () => {
      await app.close();
    });
    // The app takes over the start-up server's port (for port 0, the one the system gave it).
    // Between the two a connection is refused for a moment, which a probe retries.
    await live.close();
    const address = await app.listen({ port: live.port, host: where.host });
    logger.info({ address }, `${options.name} ready`);
    return { app, config, logger, shutdown, address };
  } catch (error) {
    logger.fatal({ err: error }, `${options.name} cannot start`);
    // Release what start opened (pools, embedded database) so the exit is not held up.
    await shutdown.shutdown("start-up failed");
    return process.exit(1);
  }
}
