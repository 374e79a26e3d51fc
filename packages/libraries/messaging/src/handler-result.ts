// What a consumer's handler returns, what it receives, and the attributes the consumer adds to a
// message it dead-letters itself: the contract between SqsConsumer and every handler.
import type { StringAttributes } from "./limits.ts";

/**
 * What a handler decided. `ack` deletes the message (return it only after the durable write);
 * `retry-later` makes it visible again after a delay; `poison` leaves it to SQS's redrive
 * policy, which moves it to the DLQ after maxReceiveCount deliveries.
 */
export type HandlerResult =
  | { type: "ack" }
  | { type: "retry-later"; delaySeconds: number; reason: string }
  | { type: "poison"; reason: string };

/** The handler processed the message and wrote its effects durably: delete it. */
export const ack = (): HandlerResult => ({ type: "ack" });
/** Not now (a dependency is down, a lock is held): deliver it again after `delaySeconds`. */
export const retryLater = (delaySeconds: number, reason: string): HandlerResult => ({
  type: "retry-later",
  delaySeconds,
  reason,
});
/** It can never succeed (bad payload, unknown command): let it go to the DLQ. */
export const poison = (reason: string): HandlerResult => ({ type: "poison", reason });

/**
 * Message attributes the consumer adds when it dead-letters a message itself, on its last
 * delivery, so whoever inspects the DLQ sees why it failed and where.
 */
export const DeadLetterAttribute = {
  /** Why the last delivery failed: the poison reason or the handler's error. */
  reason: "dlqReason",
  /** Name of the queue the message failed on. */
  source: "dlqSource",
  /** ISO time of the failure. */
  failedAt: "dlqFailedAt",
} as const;

/** Longest reason kept in the attribute; SQS counts attributes in the message size. */
export const MAX_REASON_LENGTH = 1_000;

/** A received message: the decoded body plus what SQS says about this delivery. */
export interface ReceivedMessage<Body> {
  body: Body;
  /** SQS's id of this copy; a resend of the same envelope gets another one. */
  sqsMessageId: string;
  /** How many times SQS has delivered it, this time included. */
  receiveCount: number;
  attributes: StringAttributes;
}
