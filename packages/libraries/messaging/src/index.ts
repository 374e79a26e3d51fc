export {
  assertAllSent,
  type BatchEntryFailure,
  type BatchReport,
  planBatches,
  sendInBatches,
} from "./batching.ts";
export {
  CHAIN_FORWARD_MAX_BYTES,
  chainPayload,
  type NextInChain,
  nextInChain,
  repliesCarried,
} from "./chain.ts";
export {
  type ConsumerOptions,
  type ConsumerStats,
  DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
  SqsConsumer,
} from "./consumer.ts";
export { type DlqDepthOptions, registerDlqDepth } from "./dlq-depth.ts";
export {
  type CarriedReply,
  type ChainHole,
  type ChainLink,
  type CommandEnvelope,
  type CommandInput,
  type CompensationCommandEnvelope,
  chainLinkSchema,
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
  newTraceId,
  newTraceparent,
  type ReplyEnvelope,
  type ReplyInput,
  type ReplyToCommand,
  replyEnvelopeSchema,
  replyToCommand,
  routingAttributes,
  type TraceContext,
  traceContextSchema,
  validateEnvelope,
} from "./envelope.ts";
export { type MessagingError, MessagingErrorCode, MessagingErrors } from "./errors.ts";
export {
  LONGEST_REDELIVERY_MS,
  SIGNED_AGE_MARGIN_MS,
  SIGNED_MAX_AGE_MS,
  SIGNED_MAX_CLOCK_SKEW_MS,
  signedMessageStaleness,
} from "./freshness.ts";
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
export { receiveSpan } from "./receive-span.ts";
export { RequestCounter } from "./request-counter.ts";
export {
  type CommandKeys,
  commandKeysConfigShape,
  commandKeysFromConfig,
  DEV_COMMAND_KEY,
  devReplyKey,
  devReplyKeyring,
  type ReplyKeyring,
  replyKeyConfigShape,
  replyKeyFromConfig,
  replyKeyringConfigShape,
  replyKeyringFromConfig,
  type SignedEnvelope,
  type SigningKeys,
  signEnvelope,
  verifyEnvelopeSignature,
} from "./signature.ts";
