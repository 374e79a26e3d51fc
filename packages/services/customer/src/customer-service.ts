import {
  attemptOnce,
  createDatabase,
  type Logger,
  registerPoolMetrics,
  type Shutdown,
  usesDevelopmentDefaults,
} from "@sagaworks/platform";
import {
  type ProcessStartup,
  type ProcessTelemetry,
  type ServiceApp,
  type StartedService,
  serviceAuthFromConfig,
} from "@sagaworks/service-kit";
import type { CustomerConfig } from "./config.ts";
import { createCustomerApp } from "./customer-app.ts";
import { prepareCustomerDatabase } from "./customer-database.ts";

/**
 * Starts the customer service's parts (for `runService`): opens its database schema, migrates,
 * seeds when CUSTOMER_SEED is true, and builds the app. A database that does not answer yet is
 * waited for (`startup`; without it, one attempt). The database closes on shutdown, after the
 * HTTP server that runService closes first.
 */
export async function startCustomerService(
  config: CustomerConfig,
  logger: Logger,
  shutdown: Shutdown,
  telemetry?: ProcessTelemetry,
  startup: ProcessStartup = { waitFor: attemptOnce },
): Promise<StartedService<ServiceApp>> {
  // Before anything opens: a deployed process without its token must not start.
  const auth = serviceAuthFromConfig(config, usesDevelopmentDefaults(config));
  const db = await startup.waitFor("database", () =>
    createDatabase({ databaseUrl: config.DATABASE_URL, schema: config.CUSTOMER_DB_SCHEMA, logger }),
  );
  shutdown.onShutdown("database", () => db.close());
  // Its own step: the pool reconnects by itself when the database drops between the two.
  const prepared = await startup.waitFor("database", () =>
    prepareCustomerDatabase(db, { seed: config.CUSTOMER_SEED }),
  );
  logger.info({ database: db.kind, schema: db.schema, ...prepared }, "customer database ready");
  if (telemetry) registerPoolMetrics(telemetry.metrics, db, "customer");
  const app = await createCustomerApp({
    db,
    logger,
    auth,
    metrics: telemetry?.metrics,
  });
  return { app };
}
