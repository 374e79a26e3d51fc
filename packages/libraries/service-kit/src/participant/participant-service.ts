import type { SQSClient } from "@aws-sdk/client-sqs";
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import {
  type CommandKeys,
  commandKeysFromConfig,
  RequestCounter,
  registerDlqDepth,
} from "@sagaworks/messaging";
import {
  type CommandHandler,
  createParticipant,
  InboxRetention,
  type Participant,
  resolveParticipantTuning,
} from "@sagaworks/participant-sdk";
import {
  type BaseConfig,
  createAwsClients,
  createDatabase,
  type Database,
  type Logger,
  type MetricsRegistry,
  type Migration,
  registerPoolMetrics,
  resolveBroker,
  runMigrations,
  type Shutdown,
  shouldApplyTopology,
  usesDevelopmentDefaults,
} from "@sagaworks/platform";
import {
  applyTopology,
  commandQueueName,
  deadLetterQueueName,
  deriveTopology,
  QueueProbe,
  replyQueueName,
} from "@sagaworks/topology";
import type { ListenableApp, ProcessTelemetry, StartedService } from "../run-service.ts";
import type { ServiceApp } from "../service-app.ts";
import { type ServiceAuth, serviceAuthFromConfig } from "../service-auth.ts";

/** What a service that takes saga commands needs; several can share a process, not a database. */
export interface ParticipantServiceDeps {
  /** The service's own database (its own schema); migrated on start. */
  db: Database;
  sqs: SQSClient;
  logger: Logger;
  /** Environment prefix of queue names (`SAGAWORKS_ENV_PREFIX`); the topology must exist. */
  prefix: string;
  /** Commands handled at once; defaults to 10. */
  concurrency?: number | undefined;
  /** Long-poll wait in seconds; defaults to 20 (tests use 1 to stop quickly). */
  waitTimeSeconds?: number | undefined;
  /** The command queue's maxReceiveCount, for the last-delivery warning; defaults to none. */
  maxReceiveCount?: number | undefined;
  /** Bearer tokens of the HTTP API (writes always need one). */
  auth: ServiceAuth;
  /** Keys that verify commands' signatures; defaults to the development key. */
  commandKeys?: CommandKeys | undefined;
  /**
   * The process's Prometheus registry; served at the app's `/metrics`, and the participant and
   * its gauges count in it. Defaults to none here: the app then serves one of its own.
   */
  metrics?: MetricsRegistry | undefined;
}

/**
 * {@link ParticipantServiceDeps} with every default applied; `maxReceiveCount` and `metrics`
 * keep undefined for "none", written out so every key is present.
 */
export interface ResolvedParticipantServiceDeps {
  db: Database;
  sqs: SQSClient;
  logger: Logger;
  prefix: string;
  concurrency: number;
  waitTimeSeconds: number;
  maxReceiveCount: number | undefined;
  auth: ServiceAuth;
  commandKeys: CommandKeys;
  metrics: MetricsRegistry | undefined;
}

/** Applies the defaults once (the participant SDK's own); an explicit `undefined` means the default. */
export function resolveParticipantServiceDeps(
  deps: ParticipantServiceDeps,
): ResolvedParticipantServiceDeps {
  return {
    db: deps.db,
    sqs: deps.sqs,
    logger: deps.logger,
    prefix: deps.prefix,
    ...resolveParticipantTuning(deps),
    maxReceiveCount: deps.maxReceiveCount,
    auth: deps.auth,
    metrics: deps.metrics,
  };
}

/** What makes one participant service: its name, schema, handlers and HTTP app. */
export interface ParticipantServiceDefinition {
  /** The service's name in the topology: its command queue is `<prefix>-<name>-commands`. */
  name: string;
  migrations: readonly Migration[];
  handlers: () => Readonly<Record<string, CommandHandler>>;
  createApp: (deps: {
    db: Database;
    logger: Logger;
    isReady: () => boolean;
    auth: ServiceAuth;
    /** The process's registry; undefined: the app serves one of its own. */
    metrics: MetricsRegistry | undefined;
  }) => Promise<ServiceApp>;
}

/** A started participant service. The caller listens with `app` and owns `db`. */
export interface ParticipantService {
  app: ServiceApp;
  participant: Participant;
  /** Stops taking commands (in-flight ones finish, replies are sent), then closes the app. */
  stop(): Promise<void>;
}

/**
 * Starts a service that takes part in sagas: migrates its schema, starts the participant on its
 * command queue and builds the HTTP app (not yet listening). No globals, so one process can run
 * several services.
 */
export async function startParticipantService(
  definition: ParticipantServiceDefinition,
  input: ParticipantServiceDeps,
): Promise<ParticipantService> {
  const deps = resolveParticipantServiceDeps(input);
  await runMigrations(deps.db, definition.migrations);
  const participant = await createParticipant({
    service: definition.name,
    prefix: deps.prefix,
    db: deps.db,
    sqs: deps.sqs,
    logger: deps.logger.child({ component: `${definition.name}-participant` }),
    handlers: definition.handlers(),
    concurrency: deps.concurrency,
    waitTimeSeconds: deps.waitTimeSeconds,
    maxReceiveCount: deps.maxReceiveCount,
    commandKeys: deps.commandKeys,
    metrics: deps.metrics,
  });
  if (deps.metrics) await registerParticipantGauges(definition.name, deps, deps.metrics);
  let started = false;
  // /ready also fails while the command queue or the reply queue cannot be reached.
  const queues = new QueueProbe({
    sqs: deps.sqs,
    queues: [commandQueueName(deps.prefix, definition.name), replyQueueName(deps.prefix)],
    logger: deps.logger,
  });
  const app = await definition.createApp({
    db: deps.db,
    logger: deps.logger,
    isReady: () => started && queues.reachable,
    auth: deps.auth,
    metrics: deps.metrics,
  });
  await queues.start();
  participant.start();
  // Inbox rows older than the longest redelivery are pruned hourly (see InboxRetention).
  const retention = new InboxRetention({ db: deps.db, logger: deps.logger });
  retention.start();
  started = true;
  let stopping: Promise<void> | undefined;
  return {
    app,
    participant,
    stop() {
      // Commands first: a command in flight may still need the database the caller closes next.
      stopping ??= (async () => {
        started = false;
        await retention.stop();
        await queues.stop();
        await participant.stop();
        await app.close();
      })();
      return stopping;
    },
  };
}

/** Pool usage, SQS/SNS requests and the command queue's DLQ depth, on the process's registry. */
async function registerParticipantGauges(
  service: string,
  deps: ResolvedParticipantServiceDeps,
  metrics: MetricsRegistry,
): Promise<void> {
  registerPoolMetrics(metrics, deps.db, service);
  new RequestCounter({ metrics }).attach(deps.sqs, "SQS");
  const dlqName = deadLetterQueueName(commandQueueName(deps.prefix, service));
  try {
    const { QueueUrl } = await deps.sqs.send(new GetQueueUrlCommand({ QueueName: dlqName }));
    if (QueueUrl) registerDlqDepth(metrics, { sqs: deps.sqs, dlqUrls: [QueueUrl] });
  } catch (error) {
    deps.logger.warn(
      { err: error, queue: dlqName },
      "no DLQ depth metric: the DLQ is not reachable",
    );
  }
}

/** The config a participant service process reads (beyond its own fields). */
export type ParticipantProcessConfig = BaseConfig & {
  PORT: number;
  HOST: string;
  SERVICE_WRITE_TOKEN?: string | undefined;
  SERVICE_READ_TOKEN?: string | undefined;
  COMMAND_SIGNING_KEY?: string | undefined;
  COMMAND_SIGNING_PREVIOUS_KEYS: string[];
};

/**
 * Starts a participant service as a process (the `start` of `runService`): broker, AWS clients,
 * database, then the service. runService closes the returned app first on shutdown; closing it
 * stops the participant before the HTTP server, and the database closes after both.
 */
export async function startParticipantProcess(
  definition: ParticipantServiceDefinition,
  settings: { config: ParticipantProcessConfig; schema: string; concurrency: number },
  logger: Logger,
  shutdown: Shutdown,
  telemetry?: ProcessTelemetry,
): Promise<StartedService<ListenableApp>> {
  const { config } = settings;
  // Read before anything opens: a deployed process without its secrets must not start at all.
  const development = usesDevelopmentDefaults(config);
  const auth = serviceAuthFromConfig(config, development);
  const commandKeys = commandKeysFromConfig(config, development);
  const broker = await resolveBroker(config);
  shutdown.onShutdown("broker", () => broker.stop());
  const clients = createAwsClients({ endpoint: broker.endpoint, region: config.AWS_REGION });
  shutdown.onShutdown("aws clients", () => clients.destroy());
  if (broker.kind === "embedded" || shouldApplyTopology(config)) {
    // An in-process emulator is reachable from this process only, so no orchestrator or
    // `topology apply` will create the command queue: create it here (and in dev, where
    // SAGAWORKS_APPLY_TOPOLOGY defaults to true). Elsewhere the queues belong to whoever applies
    // the topology, and a missing queue is a start-up error.
    await applyTopology(
      clients,
      deriveTopology({
        prefix: config.SAGAWORKS_ENV_PREFIX,
        participants: [definition.name],
        maxReceiveCount: config.MAX_RECEIVE_COUNT,
      }),
    );
  }
  const db = await createDatabase({
    databaseUrl: config.DATABASE_URL,
    schema: settings.schema,
    logger,
  });
  shutdown.onShutdown("database", () => db.close());
  const service = await startParticipantService(definition, {
    db,
    sqs: clients.sqs,
    logger,
    prefix: config.SAGAWORKS_ENV_PREFIX,
    concurrency: settings.concurrency,
    maxReceiveCount: config.MAX_RECEIVE_COUNT,
    auth,
    commandKeys,
    metrics: telemetry?.metrics,
  });
  logger.info(
    {
      database: db.kind,
      schema: db.schema,
      broker: broker.kind,
      prefix: config.SAGAWORKS_ENV_PREFIX,
    },
    `${definition.name} service started`,
  );
  return {
    app: { listen: (options) => service.app.listen(options), close: () => service.stop() },
    port: config.PORT,
    host: config.HOST,
  };
}
