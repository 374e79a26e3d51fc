import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  ack,
  type Envelope,
  type HandlerResult,
  poison,
  type ReceivedMessage,
  type ReplyEnvelope,
  SqsConsumer,
} from "@sagaworks/messaging";
import {
  contextFromTraceparent,
  inSpan,
  type Logger,
  type MetricsRegistry,
  SpanAttribute,
  SpanKind,
} from "@sagaworks/platform";
import type { JsonValue } from "@sagaworks/saga-definition";
import type { SagaRuntime } from "../saga-runtime.ts";

/** Options of {@link createReplyConsumer}. */
export interface ReplyConsumerOptions {
  sqs: SQSClient;
  queueUrl: string;
  runtime: SagaRuntime;
  logger: Logger;
  /** Replies handled at once; defaults to 10. */
  concurrency?: number | undefined;
  /** Long-poll wait; defaults to 20 s (tests use less). */
  waitTimeSeconds?: number | undefined;
  /** The queue's maxReceiveCount, for the last-delivery warning; defaults to 5. */
  maxReceiveCount?: number | undefined;
  /** The process's Prometheus registry, for the consumer's in-flight and receive metrics. */
  metrics?: MetricsRegistry | undefined;
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
    concurrency: options.concurrency ?? 10,
    waitTimeSeconds: options.waitTimeSeconds ?? 20,
    maxReceiveCount: options.maxReceiveCount ?? 5,
    metrics: options.metrics,
    handler: (message) => handleReply(options.runtime, message),
  });
}

/** Applies one reply; exported for tests that feed envelopes directly. */
export async function handleReply(
  runtime: SagaRuntime,
  message: ReceivedMessage<Envelope>,
): Promise<HandlerResult> {
  const envelope = message.body;
  if (envelope.kind !== "reply") {
    return poison(`expected a reply on the reply queue, got a ${envelope.kind} (${envelope.name})`);
  }
  return inSpan(
    `saga.reply ${envelope.name}`,
    {
      kind: SpanKind.CONSUMER,
      parent: contextFromTraceparent(envelope.trace.traceparent, envelope.trace.tracestate),
      attributes: {
        [SpanAttribute.sagaId]: envelope.sagaId,
        [SpanAttribute.sagaName]: envelope.sagaName,
        [SpanAttribute.step]: envelope.step,
        [SpanAttribute.attempt]: envelope.attempt,
        [SpanAttribute.compensation]: envelope.compensation,
        [SpanAttribute.messageName]: envelope.name,
      },
    },
    () => applyReply(runtime, envelope),
  );
}

async function applyReply(runtime: SagaRuntime, envelope: ReplyEnvelope): Promise<HandlerResult> {
  const outcome = await runtime.apply(
    envelope.sagaId,
    {
      type: "reply",
      step: envelope.step,
      attempt: envelope.attempt,
      compensation: envelope.compensation,
      name: envelope.name,
      payload: envelope.payload as JsonValue,
    },
    { dedupeKey: envelope.messageId },
  );
  if (outcome.kind === "unknown-saga") {
    return poison(
      `reply ${envelope.name} (${envelope.messageId}) is for saga ${envelope.sagaId}, which does not exist`,
    );
  }
  return ack();
}
