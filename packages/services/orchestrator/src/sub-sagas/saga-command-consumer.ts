// The orchestrator as a participant of its own: it consumes the `sagas` command queue, where a
// parent saga's transition sends `StartSaga` and `CompensateSaga` for its sub-saga steps. A start
// goes through the runtime's normal start, idempotent per parent step and attempt, and records
// the parent on the child; a request to compensate is an engine event on the child (or, when it
// overtook the start, a start that ends at once). The child's end answers the parent through its
// own transition (see the engine's `answer-parent` effect), so nothing here writes the parent.
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  ack,
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
import { type JsonValue, SubSagaCommand } from "@sagaworks/saga-definition";
import { compileInputSchemaOrThrow } from "@sagaworks/saga-definition/input-schema";
import type { ParentLink } from "@sagaworks/saga-engine";
import { z } from "zod";
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
  const validators = new Map<string, ReturnType<typeof compileInputSchemaOrThrow>>();
  const validatorOf = (name: string, schema: Record<string, unknown>) => {
    let validate = validators.get(name);
    if (!validate) {
      validate = compileInputSchemaOrThrow(schema, name);
      validators.set(name, validate);
    }
    return validate;
  };
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
    const { saga, input, parent } = parsed.data;
    const compiled = deps.definitions.deployed(saga.name);
    if (!compiled || compiled.version !== saga.version) {
      return poison(
        `${envelope.name} refused: saga ${saga.name} v${saga.version} is not deployed${compiled ? ` (v${compiled.version} is)` : ""}`,
      );
    }
    // The link names the parent command the child's end answers; the parent's step and attempt
    // (its own) come from the envelope, which the signature vouches for.
    const link = (compensation: boolean): ParentLink => ({
      sagaId: envelope.sagaId,
      sagaName: envelope.sagaName,
      sagaVersion: envelope.sagaVersion,
      step: envelope.step,
      answer: { attempt: envelope.attempt, compensation, commandId: envelope.messageId },
    });
    const key = childStartKey(parent);
    if (envelope.name === SubSagaCommand.start) {
      const validate = validatorOf(compiled.name, compiled.input);
      if (!validate(input)) {
        // The parent's step then ends at its deadline, and compensates as for a silent child.
        return poison(
          `StartSaga refused: the input does not match ${compiled.name} v${compiled.version}'s input schema (${(validate.errors ?? []).map((e) => `input${e.instancePath} ${e.message ?? ""}`).join("; ")})`,
        );
      }
      const started = await deps.runtime.start(compiled, input as JsonValue, {
        idempotencyKey: key,
        actor: `saga ${parent.sagaId}`,
        parent: link(false),
      });
      deps.logger.info(
        { sagaId: started.sagaId, parent: parent.sagaId, step: parent.step },
        started.created ? "child saga started" : "child saga already started",
      );
      return ack();
    }
    if (envelope.name === SubSagaCommand.compensate) {
      const child = await findIdByIdempotencyKey(deps.knex, key);
      if (child) {
        await deps.runtime.apply(child, {
          type: "parent-compensate",
          attempt: envelope.attempt,
          commandId: envelope.messageId,
        });
        return ack();
      }
      // The request overtook the start (or the start was lost): the child is created already
      // compensated, and the start, should it still come, finds it by its key.
      await deps.runtime.start(compiled, input as JsonValue, {
        idempotencyKey: key,
        actor: `saga ${parent.sagaId}`,
        parent: link(true),
      });
      return ack();
    }
    return poison(`the sagas queue takes StartSaga and CompensateSaga, not ${envelope.name}`);
  };
}
