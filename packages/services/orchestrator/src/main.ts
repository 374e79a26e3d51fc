// The orchestrator process: `pnpm --filter @sagaworks/orchestrator start`.
import { commandKeysFromConfig } from "@sagaworks/messaging";
import {
  createAwsClients,
  createDatabase,
  resolveBroker,
  shouldApplyTopology,
  usesDevelopmentDefaults,
} from "@sagaworks/platform";
import { DEV_WRITE_TOKEN, runService } from "@sagaworks/service-kit";
import { orchestratorConfigSchema } from "./config.ts";
import { loadDefinitions } from "./definitions.ts";
import { createOrchestrator } from "./orchestrator.ts";

await runService({
  name: "orchestrator",
  configSchema: orchestratorConfigSchema,
  async start(config, logger, shutdown, telemetry) {
    const definitions = await loadDefinitions(config.SAGA_DEFINITIONS_DIR);
    const broker = await resolveBroker(config);
    shutdown.onShutdown("broker", () => broker.stop());
    const clients = createAwsClients({ endpoint: broker.endpoint, region: config.AWS_REGION });
    shutdown.onShutdown("aws clients", () => clients.destroy());
    const db = await createDatabase({
      databaseUrl: config.DATABASE_URL,
      schema: config.ORCHESTRATOR_DB_SCHEMA,
      logger,
    });
    shutdown.onShutdown("database", () => db.close());
    const orchestrator = await createOrchestrator({
      db,
      clients,
      logger,
      definitions,
      prefix: config.SAGAWORKS_ENV_PREFIX,
      serviceUrls: config.SERVICE_URLS,
      serviceToken:
        config.SERVICE_WRITE_TOKEN ??
        (usesDevelopmentDefaults(config) ? DEV_WRITE_TOKEN : undefined),
      apiToken: config.ORCHESTRATOR_API_TOKEN,
      commandKeys: commandKeysFromConfig(config, usesDevelopmentDefaults(config)),
      metrics: telemetry.metrics,
      options: {
        replyConcurrency: config.REPLY_CONCURRENCY,
        maxReceiveCount: config.MAX_RECEIVE_COUNT,
        applyTopology: shouldApplyTopology(config),
        eventSubscribers: config.SAGAWORKS_EVENT_SUBSCRIBERS,
        stepEvents: config.SAGA_STEP_EVENTS,
      },
    });
    orchestrator.start();
    // Registered last, so it runs first after the API closes: workers stop before the pool does.
    shutdown.onShutdown("workers", () => orchestrator.stop());
    logger.info(
      {
        broker: broker.kind,
        database: db.kind,
        sagas: definitions.map((d) => `${d.name}@${d.version}`),
      },
      "orchestrator started",
    );
    return {
      app: orchestrator.api,
      port: config.ORCHESTRATOR_PORT,
      host: config.ORCHESTRATOR_HOST,
    };
  },
});
