import { serviceContracts } from "@sagaworks/contracts";
import { DeadLetterReader } from "@sagaworks/dead-letters";
import {
  type CommandKeys,
  DEV_COMMAND_KEY,
  devReplyKeyring,
  type Envelope,
  OutboxHandOff,
  OutboxRelay,
  type ReplyKeyring,
  RequestCounter,
  registerDlqDepth,
  type SqsConsumer,
} from "@sagaworks/messaging";
import {
  type AwsClients,
  attemptOnce,
  createMetricsRegistry,
  type Database,
  type Logger,
  type MetricsRegistry,
  registerPoolMetrics,
  runMigrations,
  type WaitForDependency,
} from "@sagaworks/platform";
import {
  type CompiledSaga,
  type ContractRegistry,
  SUB_SAGA_SERVICE,
} from "@sagaworks/saga-definition";
import { queueReadiness } from "@sagaworks/service-kit";
import {
  applyTopology,
  commandQueueName,
  deadLetterQueueName,
  type EventSubscriberInput,
  environmentTopology,
  eventNamesRead,
  eventsTopicName,
  outsideEventsQueueName,
  participantsOf,
  QueueProbe,
  replyQueueName,
  resolveTopology,
} from "@sagaworks/topology";
import { buildApi, type OrchestratorApi } from "./api/app.ts";
import { defaultInspectorDir } from "./api/inspector-routes.ts";
import { queueUrlLookup, type Routing } from "./commit-plan/effects.ts";
import { isDeferrableEvent, unreadEvent } from "./deferrable-events.ts";
import { EarlyEventMatcher } from "./events/early-events.ts";
import { createOutsideEventConsumer } from "./events/event-consumer.ts";
import { EventIntake } from "./events/event-intake.ts";
import { OrchestratorMetrics } from "./metrics.ts";
import { orchestratorMigrations } from "./migrations/index.ts";
import { parkSaga } from "./outbox-parking.ts";
import { OutboxWritten } from "./outbox-written.ts";
import type { SagaArchive } from "./retention/archive.ts";
import { withArchivedSagas } from "./retention/archived-sagas.ts";
import { NOT_ARCHIVED, prunedSagasOf, readPause, writePause } from "./retention/retention-store.ts";
import { SagaRetention, type SagaRetentionOptions } from "./retention/saga-retention.ts";
import { SagaRuntime } from "./saga-runtime.ts";
import { DefinitionRegistry } from "./store/definition-registry.ts";
import { inspectorReads } from "./store/inspector-reads.ts";
import { DEFAULT_INSTANCE_CACHE_SIZE } from "./store/instance-cache.ts";
import { isHttpRow, isMessageRow, SagaOutboxStore } from "./store/outbox.ts";
import { sagaStatesOf } from "./store/saga-states.ts";
import { registerStoreGauges } from "./store-gauges.ts";
import { createSagaCommandConsumer } from "./sub-sagas/saga-command-consumer.ts";
import { installRevisionGuard } from "./testing/revision-guard.ts";
import { HttpInvoker } from "./worker/http-invoker.ts";
import { inlineReader } from "./worker/inline-reader.ts";
import { replyBacklogRead } from "./worker/reply-backlog.ts";
import { createReplyConsumer } from "./worker/reply-consumer.ts";
import { TimerPoller } from "./worker/timer-poller.ts";
import { WakeSignal } from "./worker/wake-signal.ts";

/** Everything an orchestrator process is made of, passed in as one object. */
export interface OrchestratorDeps {
  db: Database;
  clients: AwsClients;
  logger: Logger;
  /** The deployed definitions (compiled from saga-definitions/). */
  definitions: readonly CompiledSaga[];
  /** The contracts outside events are checked against; defaults to the shipped ones. */
  contracts?: ContractRegistry;
  /** Queue and topic name prefix of this environment. */
  prefix: string;
  /** Base URL per service for HTTP steps. */
  serviceUrls: Readonly<Record<string, string>>;
  /** Bearer token HTTP steps send (the services' SERVICE_WRITE_TOKEN); none when undefined. */
  serviceToken?: string | undefined;
  apiToken: string;
  /** Keys that sign commands (shared with participants); defaults to the development key. */
  commandKeys?: CommandKeys;
  /**
   * Each participant's reply keys: a reply is applied only when signed with the key of the
   * participant that owns its step. Defaults to every participant's development key
   * (`devReplyKey(name)`).
   */
  replyKeys?: ReplyKeyring;
  /**
   * The process's Prometheus registry (see runService), served at `/metrics`; defaults to one
   * of the orchestrator's own.
   */
  metrics?: MetricsRegistry;
  clock?: () => Date;
  random?: () => number;
  /**
   * Runs the start-up steps that need the database or the broker (runService's
   * `startup.waitFor`, which waits out an outage); defaults to one attempt each.
   */
  waitFor?: WaitForDependency;
  /** Folder of the built inspector served at `/ui`; defaults to {@link defaultInspectorDir}. */
  inspectorDir?: string;
  /** Tuning; the defaults suit production. */
  options?: OrchestratorOptions;
  /**
   * Pruning of finished sagas and of the reply inbox (see retention/); none when undefined.
   * The process (main.ts) always sets it from SAGA_RETENTION_DAYS, SAGA_ARCHIVE, SAGA_PRUNING,
   * SAGA_PRUNE_MAX_PER_SECOND, REPLY_INBOX_RETENTION_DAYS and SAGA_ARCHIVE_INDEX_DAYS.
   */
  retention?: OrchestratorRetention;
  /**
   * Tests only: a trigger on saga_instances refuses any write that does not bump the revision by
   * exactly one, which the runtime's cache relies on, so a writer that forgets fails loudly in
   * whatever test reaches it. Test harnesses set it (see `revisionGuardRequested`); default off.
   */
  revisionGuard?: boolean;
}

/** How an orchestrator prunes: where records go first, and the tuning. */
export interface OrchestratorRetention extends SagaRetentionOptions {
  /** Where each batch is archived before it is pruned; undefined prunes without archiving. */
  archive: SagaArchive | undefined;
}

/** Tuning of an orchestrator; every field is optional and its default is written beside it. */
export interface OrchestratorOptions {
  /** Replies handled at once per replica; defaults to 10. */
  replyConcurrency?: number | undefined;
  /** Long-poll wait of the reply consumer; defaults to 20 s. */
  replyWaitTimeSeconds?: number | undefined;
  /** How often due timers are looked for; defaults to 500 ms (timers are seconds or more). */
  timerPollIntervalMs?: number | undefined;
  /**
   * After start, the longest step timeouts wait for the replies already in the reply queue to be
   * read first (see TimerPoller); defaults to 10 s, 0 fires them at once.
   */
  holdStepTimeoutsMaxMs?: number | undefined;
  /** The relay's fallback poll; defaults to 1 s (it looks for rows whose 5 s lease ran out). */
  relayPollIntervalMs?: number | undefined;
  /** Deliveries before a reply goes to its DLQ; defaults to 5. */
  maxReceiveCount?: number | undefined;
  /**
   * Attempts before an outbox message the broker keeps refusing as invalid is parked; defaults
   * to 5. A broker outage (unreachable, 5xx, throttling) parks nothing: it is retried with
   * backoff for as long as it lasts.
   */
  outboxMaxAttempts?: number | undefined;
  /**
   * Create the topology at start-up (true, the default: dev, demo, tests) or only find it
   * (false: infrastructure owns the queues, and no CreateQueue permission is needed).
   */
  applyTopology?: boolean | undefined;
  /**
   * Readers of the events topic, from the topology settings; defaults to none. When every one
   * is given with a filter policy by event name, only the events some filter takes are published
   * (see topology's `eventNamesRead`).
   */
  eventSubscribers?: readonly (string | EventSubscriberInput)[] | undefined;
  /**
   * Publish step-level lifecycle events (`saga.step.*`) as well as saga-level ones; defaults to
   * false (env `SAGA_STEP_EVENTS`). They are most of a saga's messages.
   */
  stepEvents?: boolean | undefined;
  /**
   * How long an outside event that came before its wait opened is kept; defaults to 15 minutes
   * (env `EARLY_EVENT_TTL`).
   */
  earlyEventTtlMs?: number | undefined;
  /** How often kept early events are matched with newly opened waits; defaults to 1 s. */
  earlyEventPollIntervalMs?: number | undefined;
  /** Kept early events matched per poll; defaults to 50. */
  earlyEventBatchSize?: number | undefined;
  /** Due timers fired per poll; defaults to 100. */
  timerBatchSize?: number | undefined;
  /** HTTP step calls in flight at once per replica; defaults to 10. */
  httpConcurrency?: number | undefined;
  /**
   * The HTTP invoker's fallback poll for calls this replica was not handed (another replica's
   * after a crash, or a lease that ran out); defaults to 1 s.
   */
  httpPollIntervalMs?: number | undefined;
  /**
   * How long a start waits for its first step's answer when that step is a read-only HTTP call
   * (the start then commits with the answer applied, one write instead of two); defaults to
   * 1000 ms, 0 sends every call through the outbox. A call that takes longer, or answers with a
   * status the step does not name, is made again by the HTTP invoker as usual.
   */
  inlineReadTimeoutMs?: number | undefined;
  /** Saga instances each replica keeps between their events; defaults to 10,000. */
  instanceCacheSize?: number | undefined;
  /**
   * Sends consecutive command steps as one chain: the first command carries the others, each
   * participant sends the next itself, and only the last replies, with every answer (see
   * saga-engine's chain.ts). Defaults to true; turn it off while any participant runs an SDK
   * that does not know chains (during an upgrade, until the participants are upgraded).
   */
  chainSteps?: boolean | undefined;
}

/** {@link OrchestratorOptions} with every default applied, resolved once. */
export type ResolvedOrchestratorOptions = {
  [Key in keyof OrchestratorOptions]-?: NonNullable<OrchestratorOptions[Key]>;
} & { clock: () => Date; random: () => number };

/** Applies the defaults once (an explicit `undefined` means the default too). */
export function resolveOrchestratorOptions(
  deps: Pick<OrchestratorDeps, "options" | "clock" | "random">,
): ResolvedOrchestratorOptions {
  const options = deps.options ?? {};
  return {
    replyConcurrency: options.replyConcurrency ?? 10,
    replyWaitTimeSeconds: options.replyWaitTimeSeconds ?? 20,
    timerPollIntervalMs: options.timerPollIntervalMs ?? 500,
    holdStepTimeoutsMaxMs: options.holdStepTimeoutsMaxMs ?? 10_000,
    relayPollIntervalMs: options.relayPollIntervalMs ?? 1_000,
    maxReceiveCount: options.maxReceiveCount ?? 5,
    outboxMaxAttempts: options.outboxMaxAttempts ?? 5,
    applyTopology: options.applyTopology ?? true,
    eventSubscribers: options.eventSubscribers ?? [],
    stepEvents: options.stepEvents ?? false,
    earlyEventTtlMs: options.earlyEventTtlMs ?? 15 * 60_000,
    earlyEventPollIntervalMs: options.earlyEventPollIntervalMs ?? 1_000,
    earlyEventBatchSize: options.earlyEventBatchSize ?? 50,
    timerBatchSize: options.timerBatchSize ?? 100,
    httpConcurrency: options.httpConcurrency ?? 10,
    httpPollIntervalMs: options.httpPollIntervalMs ?? 1_000,
    inlineReadTimeoutMs: options.inlineReadTimeoutMs ?? 1_000,
    instanceCacheSize: options.instanceCacheSize ?? DEFAULT_INSTANCE_CACHE_SIZE,
    chainSteps: options.chainSteps ?? true,
    clock: deps.clock ?? (() => new Date()),
    random: deps.random ?? Math.random,
  };
}

/** A running orchestrator's parts. */
export interface Orchestrator {
  runtime: SagaRuntime;
  definitions: DefinitionRegistry;
  /** This replica's counters, the one object every part counts in. */
  metrics: OrchestratorMetrics;
  api: OrchestratorApi;
  relay: OutboxRelay;
  timers: TimerPoller;
  routing: Routing;
  /** The pruner, when `deps.retention` was given. */
  retention: SagaRetention | undefined;
  /** Starts consuming replies, relaying the outbox, firing timers and calling HTTP steps. */
  start(): void;
  /** Stops intake first, then lets in-flight work finish. */
  stop(): Promise<void>;
}

/** The services that take commands over SQS in any of these definitions. */
export { participantsOf };

/**
 * Builds an orchestrator: migrates its schema, registers the deployed definitions (refusing a
 * changed one under the same name and version), applies the topology the definitions imply,
 * and wires the workers and the API. Nothing runs until `start()`.
 */
export async function createOrchestrator(deps: OrchestratorDeps): Promise<Orchestrator> {
  const { db, clients, logger } = deps;
  const options = resolveOrchestratorOptions(deps);
  const { clock, maxReceiveCount } = options;
  const waitFor = deps.waitFor ?? attemptOnce;
  await waitFor("database", () => runMigrations(db, orchestratorMigrations));
  if (deps.revisionGuard === true) await installRevisionGuard(db);
  const definitions = await waitFor("database", () =>
    DefinitionRegistry.register(db.knex, deps.definitions),
  );
  // The one derivation (see @sagaworks/topology): the CLI, the LocalStack hook and CDK build the
  // same queues from the same definitions and settings.
  const topology = environmentTopology({
    prefix: deps.prefix,
    definitions: definitions.all(),
    settings: { maxReceiveCount, eventSubscribers: options.eventSubscribers },
  });
  const applied = await waitFor("broker", () =>
    options.applyTopology ? applyTopology(clients, topology) : resolveTopology(clients, topology),
  );
  const urls = new Map(
    topology.queues
      .filter((queue) => queue.role === "commands")
      .map((queue) => [
        queue.owner,
        applied.queueUrls[commandQueueName(deps.prefix, queue.owner)] ?? "",
      ]),
  );
  const commandKeys = deps.commandKeys ?? { current: DEV_COMMAND_KEY };
  // A child's answer to its parent is signed and checked by orchestrators only, so the key of
  // the `sagas` pseudo-participant is the orchestrators' command key: nothing more to configure.
  const replyKeys = {
    ...(deps.replyKeys ?? devReplyKeyring(participantsOf(definitions.all()))),
    [SUB_SAGA_SERVICE]: commandKeys,
  };
  const routing: Routing = {
    commandQueueUrl: queueUrlLookup(urls),
    replyQueueName: replyQueueName(deps.prefix),
    replyQueueUrl: applied.queueUrls[replyQueueName(deps.prefix)] ?? "",
    childReplyKeys: replyKeys[SUB_SAGA_SERVICE],
    eventsTopicArn: applied.topicArns[eventsTopicName(deps.prefix)] ?? "",
    commandKeys,
    stepEvents: options.stepEvents,
  };

  // Built in dependency order: what the runtime hands its commits to exists before it does.
  const registry = deps.metrics ?? createMetricsRegistry({ process: "orchestrator" });
  const metrics = new OrchestratorMetrics(registry);
  registerStoreGauges(registry, db, { clock });
  registerPoolMetrics(registry, db, "orchestrator");
  // Its own counter (a middleware of its own name), so a caller's RequestCounter keeps counting.
  const requests = new RequestCounter({ metrics: registry });
  requests.attach(clients.sqs, "SQS");
  requests.attach(clients.sns, "SNS");
  const replyDlq = applied.queueUrls[deadLetterQueueName(replyQueueName(deps.prefix))];
  if (replyDlq) registerDlqDepth(registry, { sqs: clients.sqs, dlqUrls: [replyDlq] });
  const outboxStore = new SagaOutboxStore(
    db,
    parkSaga({ routing, metrics, definitions, random: options.random }),
  );
  const namesRead = eventNamesRead(topology);
  const handOff = new OutboxHandOff(outboxStore);
  const relay = new OutboxRelay({
    store: outboxStore,
    handOff,
    sqs: clients.sqs,
    sns: clients.sns,
    logger,
    metrics,
    clock,
    pollIntervalMs: options.relayPollIntervalMs,
    maxAttempts: options.outboxMaxAttempts,
    random: options.random,
    deferrable: isDeferrableEvent,
    // Events no declared subscriber's filter takes are not published at all.
    ...(namesRead ? { unread: unreadEvent(routing.eventsTopicArn, namesRead) } : {}),
  });
  // Created before the runtime that publishes to it, so the HTTP invoker (which needs the
  // runtime) can subscribe once it exists.
  const written = new OutboxWritten();
  written.subscribe((rows) => relay.notify(rows.filter(isMessageRow)));
  const runtime = new SagaRuntime({
    db,
    definitions,
    routing,
    logger,
    clock,
    random: options.random,
    metrics,
    handOff,
    onOutboxWritten: written.publish,
    cacheSize: options.instanceCacheSize,
    chainSteps: options.chainSteps,
    readInline: inlineReader(
      { serviceUrls: deps.serviceUrls, serviceToken: deps.serviceToken },
      options.inlineReadTimeoutMs,
    ),
  });
  const invoker = new HttpInvoker({
    db,
    runtime,
    logger,
    serviceUrls: deps.serviceUrls,
    serviceToken: deps.serviceToken,
    wake: new WakeSignal(),
    metrics,
    clock,
    pollIntervalMs: options.httpPollIntervalMs,
    concurrency: options.httpConcurrency,
  });
  written.subscribe((rows) => {
    const calls = rows.filter(isHttpRow);
    if (calls.length > 0) invoker.dispatch(calls);
  });
  const replyQueueUrl = applied.queueUrls[replyQueueName(deps.prefix)] ?? "";
  const timers = new TimerPoller({
    db,
    runtime,
    logger,
    clock,
    pollIntervalMs: options.timerPollIntervalMs,
    batchSize: options.timerBatchSize,
    holdStepTimeoutsMaxMs: options.holdStepTimeoutsMaxMs,
    repliesCaughtUp:
      options.holdStepTimeoutsMaxMs > 0
        ? replyBacklogRead({ sqs: clients.sqs, queueUrl: replyQueueUrl, logger })
        : undefined,
  });
  const replies: SqsConsumer<Envelope> = createReplyConsumer({
    sqs: clients.sqs,
    queueUrl: replyQueueUrl,
    runtime,
    checks: {
      keys: replyKeys,
      clock,
    },
    logger,
    maxReceiveCount,
    concurrency: options.replyConcurrency,
    waitTimeSeconds: options.replyWaitTimeSeconds,
    metrics: registry,
  });
  const intake = new EventIntake({
    knex: db.knex,
    runtime,
    contracts: deps.contracts ?? serviceContracts,
    awaitedEvents: () => awaitedEvents(definitions.all()),
    routing,
    logger,
    clock,
    earlyEventTtlMs: options.earlyEventTtlMs,
    metrics: registry,
  });
  const earlyEvents = new EarlyEventMatcher({
    knex: db.knex,
    intake,
    logger,
    clock,
    pollIntervalMs: options.earlyEventPollIntervalMs,
    batchSize: options.earlyEventBatchSize,
  });
  const outsideEvents = createOutsideEventConsumer({
    sqs: clients.sqs,
    queueUrl: applied.queueUrls[outsideEventsQueueName(deps.prefix)] ?? "",
    intake,
    logger,
    waitTimeSeconds: options.replyWaitTimeSeconds,
    maxReceiveCount,
    metrics: registry,
  });
  // The orchestrator's own command queue, there only when a definition starts a sub-saga.
  const sagaCommandsUrl = applied.queueUrls[commandQueueName(deps.prefix, SUB_SAGA_SERVICE)];
  const sagaCommands = sagaCommandsUrl
    ? createSagaCommandConsumer({
        sqs: clients.sqs,
        queueUrl: sagaCommandsUrl,
        knex: db.knex,
        runtime,
        definitions,
        commandKeys: routing.commandKeys,
        clock,
        logger,
        waitTimeSeconds: options.replyWaitTimeSeconds,
        maxReceiveCount,
        metrics: registry,
      })
    : undefined;
  let started = false;
  // /ready also fails while the reply queue or a command queue cannot be reached.
  const queues = new QueueProbe({
    sqs: clients.sqs,
    queues: topology.queues.filter((q) => q.role !== "dead-letter").map((q) => q.name),
    logger,
  });
  const deadLetters = new DeadLetterReader({
    sqs: clients.sqs,
    topology,
    sagaStates: async (ids) => {
      const rows = await sagaStatesOf(db.knex, ids);
      return new Map(
        [...rows].map(([id, row]) => [id, { ...row, updatedAt: row.updatedAt.toISOString() }]),
      );
    },
    // A message of a saga pruned after its retention period says so, not "unknown saga".
    prunedSagas: async (ids) => {
      const entries = await prunedSagasOf(db.knex, ids);
      return new Map(
        [...entries].map(([id, entry]) => [
          id,
          {
            pruned: true as const,
            prunedAt: entry.archivedAt.toISOString(),
            location: entry.location === NOT_ARCHIVED ? null : entry.location,
          },
        ]),
      );
    },
    clock,
  });
  const retention = deps.retention
    ? new SagaRetention({
        db,
        logger,
        archive: deps.retention.archive,
        metrics: registry,
        clock,
        options: deps.retention,
      })
    : undefined;
  const api = await buildApi({
    // A pruned saga's id says where its record was archived.
    sagas: withArchivedSagas(runtime, db.knex),
    deadLetters,
    definitions,
    metrics,
    registry,
    db,
    logger,
    apiToken: deps.apiToken,
    isReady: () => queueReadiness(started, queues),
    events: intake,
    inspector: { reads: inspectorReads(db.knex), uiDir: deps.inspectorDir ?? defaultInspectorDir },
    ...(retention
      ? {
          retention: {
            control: {
              read: () => readPause(db.knex),
              write: (paused: boolean, actor: string, at: Date) =>
                writePause(db.knex, paused, actor, at),
            },
            clock,
            settings: {
              retentionMs: retention.options.retentionMs,
              inboxRetentionMs: retention.options.inboxRetentionMs,
              archiveIndexRetentionMs: retention.options.archiveIndexRetentionMs,
              archive: deps.retention?.archive?.description ?? "none",
              pausedByConfig: retention.options.paused,
            },
            onPauseChanged: (paused: boolean) => retention.notePause(paused),
          },
        }
      : {}),
  });
  return {
    runtime,
    definitions,
    metrics,
    api,
    relay,
    timers,
    routing,
    retention,
    start() {
      void queues.start();
      relay.start();
      invoker.start();
      timers.start();
      replies.start();
      sagaCommands?.start();
      outsideEvents.start();
      earlyEvents.start();
      retention?.start();
      started = true;
    },
    async stop() {
      started = false;
      await retention?.stop();
      await queues.stop();
      await replies.stop();
      await sagaCommands?.stop();
      await outsideEvents.stop();
      await earlyEvents.stop();
      await timers.stop();
      await invoker.stop();
      await relay.stop();
    },
  };
}

/** Names of the events any stored definition waits for (a saga of any version may be waiting). */
function awaitedEvents(definitions: readonly CompiledSaga[]): ReadonlySet<string> {
  const names = new Set<string>();
  for (const saga of definitions) {
    for (const step of saga.steps) {
      if (step.action.kind !== "await") continue;
      for (const name of [...step.outcomes.success, ...step.outcomes.businessFailure]) {
        names.add(name);
      }
    }
  }
  return names;
}
