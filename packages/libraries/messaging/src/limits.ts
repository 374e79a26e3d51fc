/**
 * Limits that SQS and SNS enforce. The producer checks them before sending, so a caller gets a
 * clear error instead of an opaque AWS rejection halfway through a batch.
 */
export const AwsLimits = {
  /** SQS message size (body plus attributes) since 2025: 1 MiB. */
  sqsMaxMessageBytes: 1_048_576,
  /** SQS SendMessageBatch: the sum of all entries. */
  sqsMaxBatchBytes: 1_048_576,
  /** SNS Publish message size, and the sum of a PublishBatch. */
  snsMaxMessageBytes: 262_144,
  /** Entries per SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch, PublishBatch. */
  maxBatchEntries: 10,
  /** Message attributes per message. */
  maxMessageAttributes: 10,
  /** ReceiveMessage: at most 10 messages per call. */
  maxReceiveMessages: 10,
  /** Long polling wait. */
  maxWaitTimeSeconds: 20,
  /** Visibility timeout, and the total a message can be extended to: 12 hours. */
  maxVisibilityTimeoutSeconds: 43_200,
  /** Per-message and per-queue delay: 15 minutes. */
  maxDelaySeconds: 900,
  /** Retention: 14 days. */
  maxRetentionSeconds: 1_209_600,
  /** Each started 64 KiB chunk of payload is billed as one request. */
  billingChunkBytes: 65_536,
} as const;

/** A message attribute as SQS and SNS take it: strings only in this project. */
export type StringAttributes = Record<string, string>;

/**
 * The size AWS counts for a message: UTF-8 body bytes plus, for each attribute, its name, its
 * data type ("String") and its value.
 */
export function messageSizeBytes(body: string, attributes: StringAttributes = {}): number {
  let size = Buffer.byteLength(body, "utf8");
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, "utf8") + "String".length + Buffer.byteLength(value, "utf8");
  }
  return size;
}

// SQS accepts #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
// JSON.stringify escapes every control character, so this only catches lone surrogates and
// U+FFFE/U+FFFF; still worth catching, since AWS rejects the whole batch for them.
const INVALID_SQS_CHARACTER =
  /[\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Index of the first character SQS would reject, or -1. */
export function findInvalidCharacter(body: string): number {
  const match = INVALID_SQS_CHARACTER.exec(body);
  return match ? match.index : -1;
}

/** How many billed requests one message of this size costs (each 64 KiB chunk is one). */
export function billedRequests(sizeBytes: number): number {
  return Math.max(1, Math.ceil(sizeBytes / AwsLimits.billingChunkBytes));
}
