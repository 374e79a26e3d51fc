// The outside-events queue (subscribed, raw, to the outside-events topic): each message is one
// event `{ "name", "eventId", "payload" }`, taken in as the HTTP route takes it. An event that can
// never apply (unknown, invalid, nothing waits for it) goes to the queue's DLQ with the reason; a
// late one is recorded, counted and published by the intake, and deleted.
import type { SQSClient } from "@aws-sdk/client-sqs";
import { ack, type HandlerResult, poison, SqsConsumer } from "@sagaworks/messaging";
import type { Logger, MetricsRegistry } from "@sagaworks/platform";
import { z } from "zod";
import { OrchestratorErrorCode, OrchestratorErrors } from "../errors.ts";
import type { EventIntake, IncomingEvent } from "./event-intake.ts";

const eventMessage = z.object({
  name: z.string().min(1).max(200),
  eventId: z.string().min(1).max(200),
  payload: z.unknown(),
});

/** Parses a message body; a throw makes it poison (DLQ with the reason). */
export function decodeOutsideEvent(body: string | undefined): IncomingEvent {
  let json: unknown;
  try {
    json = JSON.parse(body ?? "");
  } catch {
    throw OrchestratorErrors.create(
      OrchestratorErrorCode.outsideEventInvalid,
      'an outside event must be JSON: { "name", "eventId", "payload" }',
    );
  }
  const parsed = eventMessage.safeParse(json);
  if (!parsed.success) {
    throw OrchestratorErrors.create(
      OrchestratorErrorCode.outsideEventInvalid,
      `an outside event needs "name", "eventId" and "payload": ${parsed.error.issues.map((issue) => `${issue.path.join(".") || "(body)"} ${issue.message}`).join("; ")}`,
    );
  }
  return parsed.data;
}

/** Options of {@link createOutsideEventConsumer}. */
export interface OutsideEventConsumerOptions {
  sqs: SQSClient;
  queueUrl: string;
  intake: Pick<EventIntake, "receive">;
  logger: Logger;
  waitTimeSeconds: number;
  maxReceiveCount: number;
  metrics?: MetricsRegistry | undefined;
}

/** Consumes the outside-events queue. */
export function createOutsideEventConsumer(
  options: OutsideEventConsumerOptions,
): SqsConsumer<IncomingEvent> {
  return new SqsConsumer<IncomingEvent>({
    sqs: options.sqs,
    queueUrl: options.queueUrl,
    logger: options.logger,
    concurrency: 5,
    waitTimeSeconds: options.waitTimeSeconds,
    maxReceiveCount: options.maxReceiveCount,
    metrics: options.metrics,
    decode: decodeOutsideEvent,
    handler: (message) => handleOutsideEvent(options.intake, message.body),
  });
}

/** Takes one event in; exported for tests that feed bodies directly. */
export async function handleOutsideEvent(
  intake: Pick<EventIntake, "receive">,
  event: IncomingEvent,
): Promise<HandlerResult> {
  const verdict = await intake.receive(event, "sns");
  switch (verdict.kind) {
    case "unknown-event":
      return poison(`no contract declares an event "${event.name}"`);
    case "invalid":
      return poison(`${event.name} ${event.eventId}: ${verdict.problems.join("; ")}`);
    case "no-wait":
      return poison(`no deployed saga waits for ${event.name}`);
    default:
      return ack();
  }
}
