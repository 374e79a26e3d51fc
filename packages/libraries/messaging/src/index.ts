export {
  assertAllSent,
  type BatchEntryFailure,
  type BatchReport,
  planBatches,
  sendInBatches,
} from "./batching.ts";
export { type ConsumerOptions, type ConsumerStats, SqsConsumer } from "./consumer.ts";
export { type DlqDepthOptions, registerDlqDepth } from "./dlq-depth.ts";
export {
  type CommandEnvelope,
  type CommandInput,
  type CompensationCommandEnvelope,
  commandEnvelopeSchema,
  createCommandEnvelope,
  createEventEnvelope,
  createReplyEnvelope,
  decodeEnvelope,
  type Envelope,
  type EnvelopeIssue,
  type EventEnvelope,
  type EventInput,
  encodeEnvelope,
  envelopeSchema,
  eventEnvelopeSchema,
  MessageKind,
  newTraceparent,
  type ReplyEnvelope,
  type ReplyInput,
  replyEnvelopeSchema,
  routingAttributes,
  type TraceContext,
  traceContextSchema,
  validateEnvelope,
} from "./envelope.ts";
export { type MessagingError, MessagingErrorCode, MessagingErrors } from "./errors.ts";
export {
  ack,
  DeadLetterAttribute,
  type HandlerResult,
  poison,
  type ReceivedMessage,
  retryLater,
} from "./handler-result.ts";
export {
  AwsLimits,
  billedRequests,
  findInvalidCharacter,
  messageSizeBytes,
  type StringAttributes,
} from "./limits.ts";
export { OutboxHandOff, type SentRowDeleter } from "./outbox/hand-off.ts";
export {
  OUTBOX_LEASE_MS,
  OutboxRelay,
  type OutboxRelayOptions,
  outboxAvailableAt,
} from "./outbox/outbox-relay.ts";
export {
  createOutboxTable,
  type OutboxMessage,
  type OutboxParking,
  type OutboxRetry,
  type OutboxRow,
  type OutboxStore,
  tableOutboxStore,
} from "./outbox/outbox-store.ts";
export {
  checkMessages,
  envelopeMessage,
  type OutgoingMessage,
  publishToTopic,
  sendToQueue,
} from "./producer.ts";
export { RequestCounter } from "./request-counter.ts";
export {
  type CommandKeys,
  commandKeysConfigShape,
  commandKeysFromConfig,
  DEV_COMMAND_KEY,
  signEnvelope,
  verifyEnvelopeSignature,
} from "./signature.ts";
