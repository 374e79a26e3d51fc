import { type Envelope, OutboxRelay, type SqsConsumer } from "@sagaworks/messaging";
import { type AwsClients, type Database, type Logger, runMigrations } from "@sagaworks/platform";
import type { CompiledSaga } from "@sagaworks/saga-definition";
import {
  applyTopology,
  commandQueueName,
  environmentTopology,
  eventsTopicName,
  participantsOf,
  QueueProbe,
  replyQueueName,
  resolveTopology,
} from "@sagaworks/topology";
import { buildApi, type OrchestratorApi } from "./api/app.ts";
import { orchestratorMigrations } from "./migrations/index.ts";
import { SagaRuntime } from "./saga-runtime.ts";
import { DefinitionRegistry } from "./store/definition-registry.ts";
import { isMessageRow, queueUrlLookup, type Routing } from "./store/effects.ts";
import { HttpInvoker } from "./worker/http-invoker.ts";
import { createReplyConsumer } from "./worker/reply-consumer.ts";
import { TimerPoller } from "./worker/timer-poller.ts";

/** Everything an orchestrator process is made of, passed in as one object. */
export interface OrchestratorDeps {
  db: Database;
  clients: AwsClients;
  logger: Logger;
  /** The deployed definitions (compiled from saga-definitions/). */
  definitions: readonly CompiledSaga[];
  /** Queue and topic name prefix of this environment. */
  prefix: string;
  /** Base URL per service for HTTP steps. */
  serviceUrls: Readonly<Record<string, string>>;
  apiToken: string;
  clock?: () => Date;
  random?: () => number;
  /** Tuning; the defaults suit production. */
  options?: {
    replyConcurrency?: number;
    replyWaitTimeSeconds?: number;
    timerPollIntervalMs?: number;
    relayPollIntervalMs?: number;
    maxReceiveCount?: number;
    /**
     * Create the topology at start-up (true, the default: dev, demo, tests) or only find it
     * (false: infrastructure owns the queues, and no CreateQueue permission is needed).
     */
    applyTopology?: boolean;
    /** Readers of the events topic, from the topology settings; defaults to none. */
    eventSubscribers?: readonly string[];
  };
}

/** A running orchestrator's parts. */
export interface Orchestrator {
  runtime: SagaRuntime;
  definitions: DefinitionRegistry;
  api: OrchestratorApi;
  relay: OutboxRelay;
  timers: TimerPoller;
  routing: Routing;
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
  await runMigrations(db, orchestratorMigrations);
  const definitions = await DefinitionRegistry.register(db.knex, deps.definitions);
  const maxReceiveCount = deps.options?.maxReceiveCount ?? 5;
  // The one derivation (see @sagaworks/topology): the CLI, the LocalStack hook and CDK build the
  // same queues from the same definitions and settings.
  const topology = environmentTopology({
    prefix: deps.prefix,
    definitions: definitions.all(),
    settings: { maxReceiveCount, eventSubscribers: deps.options?.eventSubscribers ?? [] },
  });
  const applied =
    deps.options?.applyTopology === false
      ? await resolveTopology(clients, topology)
      : await applyTopology(clients, topology);
  const urls = new Map(
    topology.queues
      .filter((queue) => queue.role === "commands")
      .map((queue) => [
        queue.owner,
        applied.queueUrls[commandQueueName(deps.prefix, queue.owner)] ?? "",
      ]),
  );
  const routing: Routing = {
    commandQueueUrl: queueUrlLookup(urls),
    replyQueueName: replyQueueName(deps.prefix),
    eventsTopicArn: applied.topicArns[eventsTopicName(deps.prefix)] ?? "",
  };

  let relay: OutboxRelay | undefined;
  let http: HttpInvoker | undefined;
  const runtime = new SagaRuntime({
    db,
    definitions,
    routing,
    logger,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.random ? { random: deps.random } : {}),
    onOutboxWritten: (rows) => {
      relay?.notify(rows.filter(isMessageRow));
      if (rows.some((row) => row.kind === "http")) http?.notify();
    },
    sentOutbox: {
      takeSent: () => relay?.takeSent() ?? [],
      giveBack: (ids) => relay?.giveBack(ids),
    },
  });
  relay = new OutboxRelay({
    db,
    table: "saga_outbox",
    sqs: clients.sqs,
    sns: clients.sns,
    logger,
    metrics: runtime.metrics,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.options?.relayPollIntervalMs
      ? { pollIntervalMs: deps.options.relayPollIntervalMs }
      : {}),
  });
  http = new HttpInvoker({
    db,
    runtime,
    logger,
    serviceUrls: deps.serviceUrls,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  const timers = new TimerPoller({
    db,
    runtime,
    logger,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.options?.timerPollIntervalMs
      ? { pollIntervalMs: deps.options.timerPollIntervalMs }
      : {}),
  });
  const replies: SqsConsumer<Envelope> = createReplyConsumer({
    sqs: clients.sqs,
    queueUrl: applied.queueUrls[replyQueueName(deps.prefix)] ?? "",
    runtime,
    logger,
    maxReceiveCount,
    ...(deps.options?.replyConcurrency ? { concurrency: deps.options.replyConcurrency } : {}),
    ...(deps.options?.replyWaitTimeSeconds !== undefined
      ? { waitTimeSeconds: deps.options.replyWaitTimeSeconds }
      : {}),
  });
  let started = false;
  // /ready also fails while the reply queue or a command queue cannot be reached.
  const queues = new QueueProbe({
    sqs: clients.sqs,
    queues: topology.queues.filter((q) => q.role !== "dead-letter").map((q) => q.name),
    logger,
  });
  const api = await buildApi({
    runtime,
    definitions,
    db,
    logger,
    apiToken: deps.apiToken,
    isReady: () => started && queues.reachable,
  });
  const sendingRelay = relay;
  const invoker = http;
  return {
    runtime,
    definitions,
    api,
    relay: sendingRelay,
    timers,
    routing,
    start() {
      void queues.start();
      sendingRelay.start();
      invoker.start();
      timers.start();
      replies.start();
      started = true;
    },
    async stop() {
      started = false;
      await queues.stop();
      await replies.stop();
      await timers.stop();
      await invoker.stop();
      await sendingRelay.stop();
    },
  };
}
