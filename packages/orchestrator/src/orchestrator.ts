import {
  type CommandKeys,
  DEV_COMMAND_KEY,
  type Envelope,
  OutboxRelay,
  type SqsConsumer,
} from "@sagaworks/messaging";
import { type AwsClients, type Database, type Logger, runMigrations } from "@sagaworks/platform";
import type { CompiledSaga } from "@sagaworks/saga-definition";
import {
  applyTopology,
  commandQueueName,
  deriveTopology,
  eventsTopicName,
  replyQueueName,
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
  /** Keys that sign commands (shared with participants); defaults to the development key. */
  commandKeys?: CommandKeys;
  clock?: () => Date;
  random?: () => number;
  /** Tuning; the defaults suit production. */
  options?: {
    replyConcurrency?: number;
    replyWaitTimeSeconds?: number;
    timerPollIntervalMs?: number;
    relayPollIntervalMs?: number;
    maxReceiveCount?: number;
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
export function participantsOf(definitions: readonly CompiledSaga[]): string[] {
  const services = new Set<string>();
  for (const saga of definitions) {
    for (const step of saga.steps) if (step.action.kind === "command") services.add(step.service);
  }
  return [...services].sort();
}

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
  const topology = deriveTopology({
    prefix: deps.prefix,
    participants: participantsOf(definitions.all()),
    maxReceiveCount,
  });
  const applied = await applyTopology(clients, topology);
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
    commandKeys: deps.commandKeys ?? { current: DEV_COMMAND_KEY },
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
  const api = await buildApi({
    runtime,
    definitions,
    db,
    logger,
    apiToken: deps.apiToken,
    isReady: () => started,
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
      sendingRelay.start();
      invoker.start();
      timers.start();
      replies.start();
      started = true;
    },
    async stop() {
      started = false;
      await replies.stop();
      await timers.stop();
      await invoker.stop();
      await sendingRelay.stop();
    },
  };
}
