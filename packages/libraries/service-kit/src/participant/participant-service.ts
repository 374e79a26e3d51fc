import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import {
  commandKeysConfigShape,
  commandKeysFromConfig,
  RequestCounter,
  registerDlqDepth,
  replyKeyConfigShape,
  replyKeyFromConfig,
  type SigningKeys,
} from "@sagaworks/messaging";
import {
  type CommandHandler,
  createParticipant,
  InboxRetention,
  PARTICIPANT_MIGRATIONS_TABLE,
  type Participant,
  type ParticipantOptions,
  participantMigrations,
  type ResolvedParticipantOptions,
  resolveParticipantTuning,
} from "@sagaworks/participant-sdk";
import {
  attemptOnce,
  type BaseConfig,
  baseConfigShape,
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
  type WaitForDependency,
} from "@sagaworks/platform";
import {
  applyTopology,
  commandQueueName,
  deadLetterQueueName,
  deriveTopology,
  QueueProbe,
  replyQueueName,
} from "@sagaworks/topology";
import type { z } from "zod";
import { queueReadiness } from "../readiness.ts";
import {
  type ListenableApp,
  type ProcessStartup,
  type ProcessTelemetry,
  type RunningService,
  runService,
  type StartedService,
} from "../run-service.ts";
import type { Readiness, ServiceApp } from "../service-app.ts";
import {
  type ServiceAuth,
  serviceAuthConfigShape,
  serviceAuthFromConfig,
} from "../service-auth.ts";
import { listenConfigShape } from "../service-config.ts";

/** The participant options a service passes on as they are; the SDK documents each. */
type PassedParticipantOption =
  | "db"
  | "sqs"
  | "logger"
  | "prefix"
  | "concurrency"
  | "waitTimeSeconds"
  | "maxReceiveCount"
  | "commandKeys"
  | "replyKey"
  | "metrics";

/** What the service adds to the participant's options. */
interface ServiceOnlyDeps {
  /** Bearer tokens of the HTTP API (writes always need one). */
  auth: ServiceAuth;
  /**
   * Runs the steps that need the database or the broker (see runService's `startup.waitFor`);
   * defaults to one attempt each.
   */
  waitFor?: WaitForDependency | undefined;
}

/**
 * What a service that takes saga commands needs; several can share a process, not a database.
 * The participant's own options are the SDK's type (the service's name and handlers come from
 * its definition); `metrics` is also served at the app's `/metrics` (none: the app serves one of
 * its own).
 */
export type ParticipantServiceDeps = Pick<ParticipantOptions, PassedParticipantOption> &
  ServiceOnlyDeps;

/**
 * {@link ParticipantServiceDeps} with every default applied: the SDK's resolved options, except
 * `replyKey`, which keeps undefined for "the participant's development key" until the
 * participant, which knows its name, resolves it.
 */
export type ResolvedParticipantServiceDeps = Pick<
  ResolvedParticipantOptions,
  Exclude<PassedParticipantOption, "replyKey">
> &
  Required<ServiceOnlyDeps> & { replyKey: SigningKeys | undefined };

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
    replyKey: deps.replyKey,
    metrics: deps.metrics,
    waitFor: deps.waitFor ?? attemptOnce,
  };
}

/** What a participant service's HTTP app needs (what `createApp` is given, or a test passes). */
export interface ParticipantAppDeps {
  /** The service's migrated schema; also checked by `/ready`. */
  db: Database;
  logger: Logger;
  /** Bearer tokens: writes need the write token; reads the read token when one is set. */
  auth: ServiceAuth;
  /** The process's Prometheus registry, served at `/metrics`; defaults to the app's own. */
  metrics?: MetricsRegistry | undefined;
  /**
   * Extra readiness condition (the participant started); `/ready` answers 503 while false.
   * Defaults to always ready.
   */
  isReady?: (() => Readiness) | undefined;
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
    isReady: () => Readiness;
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
  await deps.waitFor("database", async () => {
    await runMigrations(deps.db, definition.migrations);
    await runMigrations(deps.db, participantMigrations, { table: PARTICIPANT_MIGRATIONS_TABLE });
  });
  // Migrated above, so what this waits for is the broker's answer about the command queue.
  const participant = await deps.waitFor("broker", () =>
    createParticipant({
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
      replyKey: deps.replyKey,
      metrics: deps.metrics,
    }),
  );
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
    isReady: () => queueReadiness(started, queues),
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

/**
 * The environment every participant service process reads: the base config, service tokens,
 * command and reply signing keys, and where to listen (`defaultPort` unless PORT is set). Spread
 * it into the service's config schema next to its own fields.
 */
export function participantConfigShape(defaultPort: number) {
  return {
    ...baseConfigShape,
    ...serviceAuthConfigShape,
    ...commandKeysConfigShape,
    ...replyKeyConfigShape,
    ...listenConfigShape(defaultPort),
  };
}

/** The config a participant service process reads (beyond its own fields). */
export type ParticipantProcessConfig = BaseConfig & {
  PORT: number;
  HOST: string;
  SERVICE_WRITE_TOKEN?: string | undefined;
  SERVICE_READ_TOKEN?: string | undefined;
  COMMAND_SIGNING_KEY?: string | undefined;
  COMMAND_SIGNING_PREVIOUS_KEYS: string[];
  REPLY_SIGNING_KEY?: string | undefined;
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
  startup: ProcessStartup = { waitFor: attemptOnce },
): Promise<StartedService<ListenableApp>> {
  const { config } = settings;
  // Read before anything opens: a deployed process without its secrets must not start at all.
  const development = usesDevelopmentDefaults(config);
  const auth = serviceAuthFromConfig(config, development);
  const commandKeys = commandKeysFromConfig(config, development);
  const replyKey = replyKeyFromConfig(config, definition.name, development);
  const broker = await resolveBroker(config);
  shutdown.onShutdown("broker", () => broker.stop());
  const clients = createAwsClients({ endpoint: broker.endpoint, region: config.AWS_REGION });
  shutdown.onShutdown("aws clients", () => clients.destroy());
  if (broker.kind === "embedded" || shouldApplyTopology(config)) {
    // An in-process emulator is reachable from this process only, so no orchestrator or
    // `topology apply` will create the command queue: create it here (and in dev, where
    // SAGAWORKS_APPLY_TOPOLOGY defaults to true). Elsewhere the queues belong to whoever applies
    // the topology, and a missing queue is a start-up error.
    const topology = deriveTopology({
      prefix: config.SAGAWORKS_ENV_PREFIX,
      participants: [definition.name],
      maxReceiveCount: config.MAX_RECEIVE_COUNT,
    });
    await startup.waitFor("broker", () => applyTopology(clients, topology));
  }
  const db = await startup.waitFor("database", () =>
    createDatabase({ databaseUrl: config.DATABASE_URL, schema: settings.schema, logger }),
  );
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
    replyKey,
    metrics: telemetry?.metrics,
    waitFor: startup.waitFor,
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
  };
}

/**
 * A participant service as a process: its definition, the environment it reads, and where that
 * environment names the settings only a process has (its Postgres schema, its command
 * concurrency). One per service; {@link runParticipantService} runs any of them.
 */
export interface ParticipantProcessDefinition<Schema extends z.ZodType<ParticipantProcessConfig>> {
  service: ParticipantServiceDefinition;
  configSchema: Schema;
  settings: (config: z.output<Schema>) => { schema: string; concurrency: number };
}

/** Runs a participant service process (`main.ts` of each): runService over {@link startParticipantProcess}. */
export function runParticipantService<Schema extends z.ZodType<ParticipantProcessConfig>>(
  definition: ParticipantProcessDefinition<Schema>,
): Promise<RunningService<z.output<Schema>, ListenableApp>> {
  return runService({
    name: definition.service.name,
    configSchema: definition.configSchema,
    listenOn: (config) => ({ port: config.PORT, host: config.HOST }),
    start: (config, logger, shutdown, telemetry, startup) =>
      startParticipantProcess(
        definition.service,
        { config, ...definition.settings(config) },
        logger,
        shutdown,
        telemetry,
        startup,
      ),
  });
}
