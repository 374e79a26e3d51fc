// The orchestrator as a participant of its own: it consumes the `sagas` command queue, where a
// parent saga's transition sends `StartSaga` and `CompensateSaga` for its sub-saga steps. A start
// goes through the runtime's normal start, idempotent per parent step and attempt, and records
// the parent on the child; a request to compensate is an engine event on the child (or, when it
// overtook the start, a start that ends at once). The child's end answers the parent through its
// own transition (see the engine's `answer-parent` effect). Only a command that can never be
// carried out (no such child deployed, an input its schema refuses) is answered here, in the
// parent, at once.
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  ack,
  type CommandEnvelope,
  type CommandKeys,
  type Envelope,
  type HandlerResult,
  poison,
  type ReceivedMessage,
  SqsConsumer,
  signedMessageStaleness,
  verifyEnvelopeSignature,
} from "@sagaworks/messaging";
import type { Knex, Logger, MetricsRegistry } from "@sagaworks/platform";
import {
  type CompiledSaga,
  type JsonValue,
  SubSagaCommand,
  SubSagaReply,
} from "@sagaworks/saga-definition";
import { z } from "zod";
import { OrchestratorErrorCode } from "../errors.ts";
import { type InputIssue, inputIssues } from "../input-validation.ts";
import type { SagaRuntime } from "../saga-runtime.ts";
import type { DefinitionRegistry } from "../store/definition-registry.ts";
import { findIdByIdempotencyKey } from "../store/instances.ts";
import { childStartKey } from "./child-key.ts";

/** What a parent's `StartSaga` and `CompensateSaga` carry (see the engine's sub-saga module). */
const commandPayload = z.object({
  saga: z.object({ name: z.string().min(1), version: z.int().min(1) }),
  input: z.json(),
  parent: z.object({
    sagaId: z.string().min(1),
    sagaName: z.string().min(1),
    sagaVersion: z.int().min(1),
    step: z.string().min(1),
    attempt: z.int().min(1),
  }),
});

/** What the consumer needs. */
export interface SagaCommandDeps {
  knex: Knex;
  runtime: SagaRuntime;
  definitions: DefinitionRegistry;
  commandKeys: CommandKeys;
  clock: () => Date;
  logger: Logger;
}

/** Options of {@link createSagaCommandConsumer}. */
export interface SagaCommandConsumerOptions extends SagaCommandDeps {
  sqs: SQSClient;
  queueUrl: string;
  concurrency?: number | undefined;
  waitTimeSeconds?: number | undefined;
  maxReceiveCount?: number | undefined;
  metrics?: MetricsRegistry | undefined;
}

/** Consumes the `sagas` command queue (only deployed when a definition starts a sub-saga). */
export function createSagaCommandConsumer(
  options: SagaCommandConsumerOptions,
): SqsConsumer<Envelope> {
  const handle = sagaCommandHandler(options);
  return new SqsConsumer<Envelope>({
    sqs: options.sqs,
    queueUrl: options.queueUrl,
    logger: options.logger,
    concurrency: options.concurrency ?? 10,
    waitTimeSeconds: options.waitTimeSeconds ?? 20,
    maxReceiveCount: options.maxReceiveCount ?? 5,
    metrics: options.metrics,
    handler: handle,
  });
}

/** Handles one message of the `sagas` queue; exported for tests that feed envelopes directly. */
export function sagaCommandHandler(
  deps: SagaCommandDeps,
): (message: ReceivedMessage<Envelope>) => Promise<HandlerResult> {
  return async (message) => {
    const envelope = message.body;
    if (envelope.kind !== "command") {
      return poison(`expected a command on the sagas queue, got a ${envelope.kind}`);
    }
    // Signed by an orchestrator like any command: whoever can write to the queue must not be
    // able to start or undo a saga.
    const forged = verifyEnvelopeSignature(envelope, deps.commandKeys);
    if (forged) return poison(`${envelope.name} refused: ${forged}`);
    const stale = signedMessageStaleness(envelope.sentAt, deps.clock());
    if (stale) return poison(`${envelope.name} refused: ${stale}`);
    const parsed = commandPayload.safeParse(envelope.payload);
    if (!parsed.success) {
      return poison(
        `${envelope.name} refused: its payload is not a sub-saga command (${parsed.error.message})`,
      );
    }
    if (envelope.name !== SubSagaCommand.start && envelope.name !== SubSagaCommand.compensate) {
      return poison(`the sagas queue takes StartSaga and CompensateSaga, not ${envelope.name}`);
    }
    const { saga, input, parent } = parsed.data;
    const key = childStartKey(parent);
    // A child already started with this key answers for itself, whatever is deployed now.
    const existing = await findIdByIdempotencyKey(deps.knex, key);
    if (existing) {
      if (envelope.name === SubSagaCommand.compensate) {
        await deps.runtime.apply(existing, {
          type: "parent-compensate",
          attempt: envelope.attempt,
          commandId: envelope.messageId,
        });
      }
      return ack();
    }
    // No child yet. A start that no orchestrator can ever carry out has a definite answer, so
    // the parent gets it now and compensates, instead of waiting for its step's deadline while
    // the command sits in the DLQ.
    const compiled = await deps.definitions.stored(saga.name, saga.version);
    if (!compiled) {
      return answerRefusal(deps, envelope, {
        code: OrchestratorErrorCode.definitionUnknown,
        message: `Saga ${saga.name} v${saga.version} is not deployed on any orchestrator of this database: deploy it, or point the parent's step at a deployed version.`,
        issues: [],
      });
    }
    const refusal = refusedInput(compiled, input as JsonValue);
    if (refusal) return answerRefusal(deps, envelope, refusal);
    // The link names the parent command the child's end answers; the parent's step and attempt
    // (its own) come from the envelope, which the signature vouches for.
    const compensation = envelope.name === SubSagaCommand.compensate;
    const started = await deps.runtime.start(compiled, input as JsonValue, {
      idempotencyKey: key,
      actor: `saga ${parent.sagaId}`,
      parent: {
        sagaId: envelope.sagaId,
        sagaName: envelope.sagaName,
        sagaVersion: envelope.sagaVersion,
        step: envelope.step,
        answer: { attempt: envelope.attempt, compensation, commandId: envelope.messageId },
      },
    });
    if (compensation && !started.created) {
      // A start with the same key won the race after the look-up: ask that child instead.
      await deps.runtime.apply(started.sagaId, {
        type: "parent-compensate",
        attempt: envelope.attempt,
        commandId: envelope.messageId,
      });
      return ack();
    }
    // A request to compensate that overtook the start (or replaced a lost one) creates the
    // child already compensated; the start, should it still come, finds it by its key.
    deps.logger.info(
      { sagaId: started.sagaId, parent: parent.sagaId, step: parent.step },
      compensation
        ? "child saga created compensated"
        : started.created
          ? "child saga started"
          : "child saga already started",
    );
    return ack();
  };
}

/** Why a child cannot start on `input`, or undefined when it can. */
function refusedInput(compiled: CompiledSaga, input: JsonValue): Refusal | undefined {
  const issues = inputIssues(compiled, input);
  if (issues.length === 0) return undefined;
  return {
    code: OrchestratorErrorCode.inputInvalid,
    message: `The input does not match ${compiled.name} v${compiled.version}'s input schema: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
    issues,
  };
}

interface Refusal {
  code: OrchestratorErrorCode;
  message: string;
  issues: InputIssue[];
}

/**
 * Answers the parent's command in the parent itself, as the reply a child's end would send: a
 * start with `SagaFailed` (a business failure, so the parent compensates what came before), a
 * request to compensate with `SagaCompensated` (no child ever existed: nothing to undo). It is
 * applied before the message is deleted, and once (the command's id is the delivery's key), so
 * the answer is neither lost nor doubled; a parent that moved on ignores it as a late reply.
 */
async function answerRefusal(
  deps: SagaCommandDeps,
  envelope: CommandEnvelope,
  refusal: Refusal,
): Promise<HandlerResult> {
  const compensation = envelope.name === SubSagaCommand.compensate;
  const outcome = await deps.runtime.apply(
    envelope.sagaId,
    {
      type: "reply",
      step: envelope.step,
      attempt: envelope.attempt,
      compensation,
      name: compensation ? SubSagaReply.compensated : SubSagaReply.failed,
      payload: {
        status: compensation ? "compensated" : "failed",
        code: refusal.code,
        message: compensation
          ? `No child saga was ever started, so there is nothing to undo: ${refusal.message}`
          : refusal.message,
        issues: refusal.issues.map((issue) => ({ ...issue })),
      },
      causationId: envelope.messageId,
    },
    { dedupeKey: envelope.messageId },
  );
  if (outcome.kind === "unknown-saga") {
    return poison(
      `${envelope.name} refused (${refusal.message}), and its parent saga ${envelope.sagaId} does not exist`,
    );
  }
  deps.logger.warn(
    { sagaId: envelope.sagaId, step: envelope.step, attempt: envelope.attempt, code: refusal.code },
    `${envelope.name} answered at once: ${refusal.message}`,
  );
  return ack();
}
