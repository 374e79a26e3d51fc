// The orchestrator process: `pnpm --filter @sagaworks/orchestrator start`.
import {
  createAwsClients,
  createDatabase,
  createLogger,
  createShutdown,
  loadConfig,
  resolveBroker,
} from "@sagaworks/platform";
import { orchestratorConfigSchema } from "./config.ts";
import { loadDefinitions } from "./definitions.ts";
import { createOrchestrator } from "./orchestrator.ts";

const config = loadConfig(orchestratorConfigSchema);
const logger = createLogger({ name: "orchestrator", level: config.LOG_LEVEL });
const shutdown = createShutdown({ logger });
try {
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
    apiToken: config.ORCHESTRATOR_API_TOKEN,
    options: {
      replyConcurrency: config.REPLY_CONCURRENCY,
      maxReceiveCount: config.MAX_RECEIVE_COUNT,
    },
  });
  orchestrator.start();
  shutdown.onShutdown("workers", () => orchestrator.stop());
  const address = await orchestrator.api.listen({
    port: config.ORCHESTRATOR_PORT,
    host: config.ORCHESTRATOR_HOST,
  });
  shutdown.onShutdown("api", () => orchestrator.api.close());
  logger.info(
    {
      address,
      broker: broker.kind,
      database: db.kind,
      sagas: definitions.map((d) => `${d.name}@${d.version}`),
    },
    "orchestrator ready",
  );
} catch (error) {
  logger.fatal({ err: error }, (error as Error).message);
  await shutdown.shutdown("start-up failed");
  process.exit(1);
}
