// The orchestrator process: `pnpm --filter @sagaworks/orchestrator start`.
import { commandKeysFromConfig, replyKeyringFromConfig } from "@sagaworks/messaging";
import {
  createAwsClients,
  createDatabase,
  resolveBroker,
  shouldApplyTopology,
  usesDevelopmentDefaults,
} from "@sagaworks/platform";
import { SUB_SAGA_SERVICE } from "@sagaworks/saga-definition";
import { DEV_WRITE_TOKEN, runService } from "@sagaworks/service-kit";
import { participantsOf } from "@sagaworks/topology";
import { orchestratorConfigSchema } from "./config.ts";
import { loadDefinitions } from "./definitions.ts";
import { createOrchestrator } from "./orchestrator.ts";
import { openArchive, parseArchiveTarget } from "./retention/archive.ts";
import { revisionGuardRequested } from "./testing/revision-guard.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

await runService({
  name: "orchestrator",
  configSchema: orchestratorConfigSchema,
  listenOn: (config) => ({ port: config.ORCHESTRATOR_PORT, host: config.ORCHESTRATOR_HOST }),
  async start(config, logger, shutdown, telemetry, startup) {
    const definitions = await loadDefinitions(config.SAGA_DEFINITIONS_DIR);
    const development = usesDevelopmentDefaults(config);
    // Read before anything opens: without a reply key per participant no reply could be applied.
    // The `sagas` pseudo-participant is the orchestrator itself: it signs a child's answers with
    // the command key it already holds (see createOrchestrator), so it needs no key of its own.
    const participants = participantsOf(definitions).filter((name) => name !== SUB_SAGA_SERVICE);
    const replyKeys = replyKeyringFromConfig(config, participants, development);
    const broker = await resolveBroker(config);
    shutdown.onShutdown("broker", () => broker.stop());
    const clients = createAwsClients({ endpoint: broker.endpoint, region: config.AWS_REGION });
    shutdown.onShutdown("aws clients", () => clients.destroy());
    const db = await startup.waitFor("database", () =>
      createDatabase({
        databaseUrl: config.DATABASE_URL,
        schema: config.ORCHESTRATOR_DB_SCHEMA,
        logger,
      }),
    );
    shutdown.onShutdown("database", () => db.close());
    // A deployment decides where finished sagas' records go before any is pruned; development
    // archives to a folder beside the process.
    const archiveTarget =
      config.SAGA_ARCHIVE ?? (development ? parseArchiveTarget(".saga-archive") : undefined);
    if (!archiveTarget) {
      logger.warn(
        "SAGA_ARCHIVE is not set: finished sagas are kept, not pruned (set it to s3://bucket/prefix, a folder, or none)",
      );
    }
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
      commandKeys: commandKeysFromConfig(config, development),
      replyKeys,
      metrics: telemetry.metrics,
      waitFor: startup.waitFor,
      // The processes a test run starts as children inherit its request for the guard.
      revisionGuard: revisionGuardRequested(),
      retention: {
        archive: archiveTarget
          ? openArchive(archiveTarget, { endpoint: broker.endpoint, region: config.AWS_REGION })
          : undefined,
        pruneSagas: archiveTarget !== undefined,
        retentionMs: config.SAGA_RETENTION_DAYS * DAY_MS,
        inboxRetentionMs: config.REPLY_INBOX_RETENTION_DAYS * DAY_MS,
        archiveIndexRetentionMs: config.SAGA_ARCHIVE_INDEX_DAYS * DAY_MS,
        paused: config.SAGA_PRUNING === "paused",
        maxSagasPerSecond: config.SAGA_PRUNE_MAX_PER_SECOND,
      },
      options: {
        replyConcurrency: config.REPLY_CONCURRENCY,
        maxReceiveCount: config.MAX_RECEIVE_COUNT,
        applyTopology: shouldApplyTopology(config),
        eventSubscribers: config.SAGAWORKS_EVENT_SUBSCRIBERS,
        stepEvents: config.SAGA_STEP_EVENTS,
        earlyEventTtlMs: config.EARLY_EVENT_TTL,
        inlineReadTimeoutMs: config.HTTP_INLINE_READ_TIMEOUT_MS,
        chainSteps: config.SAGA_CHAIN_STEPS,
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
    return { app: orchestrator.api };
  },
});
