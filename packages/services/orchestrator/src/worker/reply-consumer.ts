import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  ack,
  type CarriedReply,
  type Envelope,
  type HandlerResult,
  poison,
  type ReceivedMessage,
  type ReplyEnvelope,
  receiveSpan,
  SqsConsumer,
} from "@sagaworks/messaging";
import { inSpan, type Logger, type MetricsRegistry } from "@sagaworks/platform";
import type { JsonValue } from "@sagaworks/saga-definition";
import type { SagaEvent } from "@sagaworks/saga-engine";
import { OrchestratorErrorCode, OrchestratorErrors } from "../errors.ts";
import type { SagaRuntime } from "../saga-runtime.ts";
import { type ReplyChecks, replyRefusal } from "./reply-verification.ts";

/** Options of {@link createReplyConsumer}, complete: the orchestrator resolves the defaults. */
export interface ReplyConsumerOptions {
  sqs: SQSClient;
  queueUrl: string;
  runtime: SagaRuntime;
  /** Each participant's reply keys and the clock: a reply is applied only when it passes. */
  checks: ReplyChecks;
  logger: Logger;
  /** Replies handled at once (`replyConcurrency`). */
  concurrency: number;
  /** Long-poll wait (`replyWaitTimeSeconds`). */
  waitTimeSeconds: number;
  /** The queue's maxReceiveCount, for the last-delivery warning. */
  maxReceiveCount: number;
  /** The process's Prometheus registry, for the consumer's in-flight and receive metrics. */
  metrics: MetricsRegistry | undefined;
}

/**
 * Consumes the saga-replies queue. Each reply is applied in one transaction keyed by its message
 * id, so a redelivered reply, or the same reply received by two replicas, is applied once. The
 * SQS message is deleted only after that commit.
 */
export function createReplyConsumer(options: ReplyConsumerOptions): SqsConsumer<Envelope> {
  return new SqsConsumer<Envelope>({
    sqs: options.sqs,
    queueUrl: options.queueUrl,
    logger: options.logger,
    concurrency: options.concurrency,
    waitTimeSeconds: options.waitTimeSeconds,
    maxReceiveCount: options.maxReceiveCount,
    metrics: options.metrics,
    handler: (message) => handleReply(options.runtime, message, options.checks, options.logger),
  });
}

/**
 * Applies one reply, if it is signed by the participant that owns its step and fresh; else it
 * goes to the DLQ with the reason and changes no saga. Exported for tests that feed envelopes
 * directly.
 */
export async function handleReply(
  runtime: SagaRuntime,
  message: ReceivedMessage<Envelope>,
  checks: ReplyChecks,
  logger?: Logger,
): Promise<HandlerResult> {
  const envelope = message.body;
  if (envelope.kind !== "reply") {
    return poison(`expected a reply on the reply queue, got a ${envelope.kind} (${envelope.name})`);
  }
  return inSpan(`saga.reply ${envelope.name}`, receiveSpan(envelope), () =>
    applyReply(runtime, envelope, checks, logger),
  );
}

function replyEvent(reply: CarriedReply, forwarded: boolean): SagaEvent {
  return {
    type: "reply",
    step: reply.step,
    attempt: reply.attempt,
    compensation: reply.compensation,
    name: reply.name,
    payload: reply.payload as JsonValue,
    causationId: reply.causationId,
    ...(forwarded ? { forwarded } : {}),
  };
}

async function applyReply(
  runtime: SagaRuntime,
  envelope: ReplyEnvelope,
  checks: ReplyChecks,
  logger: Logger | undefined,
): Promise<HandlerResult> {
  let outcome: Awaited<ReturnType<SagaRuntime["apply"]>>;
  try {
    outcome = await runtime.apply(envelope.sagaId, replyEvent(envelope, false), {
      // A chain's earlier answers, each of whose participants sent the next command itself.
      before: envelope.carried?.map((earlier) => replyEvent(earlier, true)),
      dedupeKey: envelope.messageId,
      // Checked inside the transaction, against the saga's own definition: the step's owner
      // is whoever the saga says, not whoever the reply names.
      refuse: (compiled) => replyRefusal(envelope, compiled, checks),
    });
  } catch (error) {
    if (!OrchestratorErrors.is(error, OrchestratorErrorCode.replyRefused)) throw error;
    logger?.warn(
      { sagaId: envelope.sagaId, reply: envelope.name, messageId: envelope.messageId },
      `reply refused: ${error.message}`,
    );
    return poison(`${envelope.name} refused: ${error.message}`);
  }
  if (outcome.kind === "unknown-saga") {
    return poison(
      `reply ${envelope.name} (${envelope.messageId}) is for saga ${envelope.sagaId}, which does not exist`,
    );
  }
  return ack();
}
