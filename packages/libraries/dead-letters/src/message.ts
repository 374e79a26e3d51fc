// A message as read from a dead-letter queue, and the few envelope fields the dead-letter code
// reads. Those reads live in `envelopeFacts` alone, so a change of the envelope's shape is a
// change here and nowhere else in ops or the orchestrator's dead-letter view.
import type { Message } from "@aws-sdk/client-sqs";
import { DeadLetterAttribute, decodeEnvelope } from "@sagaworks/messaging";

/** A message read from a DLQ. */
export interface DlqMessage {
  /** SQS's id: stable for as long as the message stays in this queue. */
  sqsMessageId: string;
  receiptHandle: string;
  body: string;
  /** String message attributes (routing keys, the dead-letter reason). */
  attributes: Record<string, string>;
  /** When it was first sent (SQS keeps this across the redrive). */
  sentAt: Date;
  /** Why it failed, as the consumer recorded it; null when the redrive policy moved it. */
  reason: string | null;
}

/** Converts an SQS message to a {@link DlqMessage}. */
export function toDlqMessage(message: Message): DlqMessage {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (value.StringValue !== undefined) attributes[name] = value.StringValue;
  }
  return {
    sqsMessageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes,
    sentAt: new Date(Number(message.Attributes?.SentTimestamp ?? Date.now())),
    reason: attributes[DeadLetterAttribute.reason] ?? null,
  };
}

/** What the dead-letter code knows of an envelope. */
export interface EnvelopeFacts {
  /** The envelope's own id: receivers deduplicate by it. */
  messageId: string;
  kind: "command" | "reply" | "event";
  /** `ReserveCredit`, `CreditReserved`, `saga.completed`… */
  name: string;
  sagaId: string;
  sagaName: string;
  /** Undefined on a saga-level event, which concerns no step. */
  step: string | undefined;
  /** Commands and replies only. */
  attempt: number | undefined;
  /** Commands and replies only. */
  compensation: boolean | undefined;
  /** The envelope's own send time (ISO), which its signature covers. */
  sentAt: string;
}

/** Decodes a body; `facts` is null (and `error` says why) when it is not an envelope. */
export function envelopeFacts(body: string): {
  facts: EnvelopeFacts | null;
  error: string | null;
} {
  try {
    const envelope = decodeEnvelope(body);
    return {
      facts: {
        messageId: envelope.messageId,
        kind: envelope.kind,
        name: envelope.name,
        sagaId: envelope.sagaId,
        sagaName: envelope.sagaName,
        step: envelope.step,
        attempt: envelope.kind === "event" ? undefined : envelope.attempt,
        compensation: envelope.kind === "event" ? undefined : envelope.compensation,
        sentAt: envelope.sentAt,
      },
      error: null,
    };
  } catch (error) {
    return { facts: null, error: (error as Error).message };
  }
}
