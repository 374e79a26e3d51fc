import { PublishBatchCommand, type SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { type BatchCallResult, type BatchReport, sendInBatches } from "./batching.ts";
import { type Envelope, encodeEnvelope, routingAttributes } from "./envelope.ts";
import { MessagingErrorCode, MessagingErrors } from "./errors.ts";
import {
  AwsLimits,
  findInvalidCharacter,
  messageSizeBytes,
  type StringAttributes,
} from "./limits.ts";

/** One message to send: a body, its string attributes and, for SQS, an optional delay. */
export interface OutgoingMessage {
  body: string;
  attributes?: StringAttributes;
  /** SQS only: seconds before the message becomes visible, 0 to 900. */
  delaySeconds?: number;
}

/** Turns an envelope into an outgoing message with its routing attributes. */
export function envelopeMessage(
  envelope: Envelope,
  attributes: StringAttributes = {},
): OutgoingMessage {
  return {
    body: encodeEnvelope(envelope),
    attributes: { ...routingAttributes(envelope), ...attributes },
  };
}

/**
 * Checks every message against the limits AWS enforces and returns their sizes. Throws before
 * anything is sent, naming the message (by index) and the limit, so a batch never half-fails on
 * something that was knowable in advance.
 */
export function checkMessages(
  messages: readonly OutgoingMessage[],
  maxMessageBytes: number,
  destination: string,
): number[] {
  return messages.map((message, index) => {
    const attributeCount = Object.keys(message.attributes ?? {}).length;
    if (attributeCount > AwsLimits.maxMessageAttributes) {
      throw MessagingErrors.create(
        MessagingErrorCode.tooManyAttributes,
        `Message ${index} to ${destination} has ${attributeCount} attributes; AWS allows ${AwsLimits.maxMessageAttributes}. Move the extra ones into the body.`,
        { index, attributeCount, limit: AwsLimits.maxMessageAttributes },
      );
    }
    const size = messageSizeBytes(message.body, message.attributes);
    if (size > maxMessageBytes) {
      throw MessagingErrors.create(
        MessagingErrorCode.messageTooLarge,
        `Message ${index} to ${destination} is ${size} bytes; the limit is ${maxMessageBytes} bytes (body plus attributes). Keep large data out of the message and send a reference to it.`,
        { index, sizeBytes: size, limitBytes: maxMessageBytes },
      );
    }
    const bad = findInvalidCharacter(message.body);
    if (bad >= 0) {
      throw MessagingErrors.create(
        MessagingErrorCode.invalidCharacters,
        `Message ${index} to ${destination} has a character AWS rejects at offset ${bad} (a lone surrogate, U+FFFE or U+FFFF).`,
        { index, offset: bad },
      );
    }
    const delay = message.delaySeconds ?? 0;
    if (!Number.isInteger(delay) || delay < 0 || delay > AwsLimits.maxDelaySeconds) {
      throw MessagingErrors.create(
        MessagingErrorCode.delayOutOfRange,
        `Message ${index} to ${destination} has delaySeconds ${delay}; SQS takes whole seconds from 0 to ${AwsLimits.maxDelaySeconds}. Use a Postgres timer for longer delays.`,
        { index, delaySeconds: delay },
      );
    }
    return size;
  });
}

function toMessageAttributes(attributes: StringAttributes | undefined) {
  if (!attributes || Object.keys(attributes).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      { DataType: "String", StringValue: value },
    ]),
  );
}

interface AwsBatchSuccess {
  Id?: string | undefined;
  MessageId?: string | undefined;
}
interface AwsBatchFailure {
  Id?: string | undefined;
  Code?: string | undefined;
  Message?: string | undefined;
  SenderFault?: boolean | undefined;
}

// SQS's SendMessageBatch and SNS's PublishBatch answer in the same shape.
function toBatchCallResult(
  successful: AwsBatchSuccess[] | undefined,
  failed: AwsBatchFailure[] | undefined,
): BatchCallResult {
  return {
    successful: (successful ?? []).map((entry) => ({
      id: entry.Id ?? "",
      brokerMessageId: entry.MessageId ?? "",
    })),
    failed: (failed ?? []).map((entry) => ({
      id: entry.Id ?? "",
      code: entry.Code ?? "Unknown",
      message: entry.Message ?? "",
      senderFault: entry.SenderFault ?? false,
    })),
  };
}

/**
 * Sends messages to an SQS queue in as few SendMessageBatch calls as the limits allow: at most
 * ten entries and 1 MiB per call. Entries a batch reports as failed are retried when the failure
 * is transient. The report says which messages were accepted and which were not.
 */
export async function sendToQueue(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly OutgoingMessage[],
  /** The sizes {@link checkMessages} returned for these messages, when the caller checked them. */
  checkedSizes?: readonly number[],
): Promise<BatchReport> {
  const sizes = checkedSizes ?? checkMessages(messages, AwsLimits.sqsMaxMessageBytes, queueUrl);
  return sendInBatches({
    sizes,
    maxBytes: AwsLimits.sqsMaxBatchBytes,
    call: async (indexes) => {
      const response = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: indexes.map((index) => {
            const message = messages[index] as OutgoingMessage;
            return {
              Id: String(index),
              MessageBody: message.body,
              MessageAttributes: toMessageAttributes(message.attributes),
              DelaySeconds: message.delaySeconds,
            };
          }),
        }),
      );
      return toBatchCallResult(response.Successful, response.Failed);
    },
  });
}

/**
 * Publishes messages to an SNS topic with PublishBatch: at most ten entries and 256 KiB per
 * call (SNS's limits are lower than SQS's). Same retry and report rules as {@link sendToQueue}.
 */
export async function publishToTopic(
  sns: SNSClient,
  topicArn: string,
  messages: readonly OutgoingMessage[],
  /** The sizes {@link checkMessages} returned for these messages, when the caller checked them. */
  checkedSizes?: readonly number[],
): Promise<BatchReport> {
  const sizes = checkedSizes ?? checkMessages(messages, AwsLimits.snsMaxMessageBytes, topicArn);
  return sendInBatches({
    sizes,
    maxBytes: AwsLimits.snsMaxMessageBytes,
    call: async (indexes) => {
      const response = await sns.send(
        new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: indexes.map((index) => {
            const message = messages[index] as OutgoingMessage;
            return {
              Id: String(index),
              Message: message.body,
              MessageAttributes: toMessageAttributes(message.attributes),
            };
          }),
        }),
      );
      return toBatchCallResult(response.Successful, response.Failed);
    },
  });
}
