// Reads a queue without taking anything out of it: every message received is made visible
// again (visibility 0) before the read returns, and one that is not still reappears by itself
// when its visibility timeout ends, so a crash mid-read loses nothing either.
import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { type DlqMessage, toDlqMessage } from "./message.ts";

/** Options of {@link peekMessages}. */
export interface PeekOptions {
  /** Stop after this many; defaults to 1000. */
  limit?: number;
  /** How long messages stay hidden while the read runs; defaults to 60 s. */
  visibilityTimeoutSeconds?: number;
  /** Long-poll wait of each receive; defaults to 1 s. */
  waitTimeSeconds?: number;
}

/** Receives up to `max` messages (hidden for `visibilityTimeoutSeconds`). */
export async function receiveBatch(
  sqs: SQSClient,
  queueUrl: string,
  max: number,
  visibilityTimeoutSeconds: number,
  waitTimeSeconds = 1,
): Promise<DlqMessage[]> {
  const response = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
      WaitTimeSeconds: waitTimeSeconds,
      VisibilityTimeout: visibilityTimeoutSeconds,
      MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount"],
      MessageAttributeNames: ["All"],
    }),
  );
  return (response.Messages ?? []).map(toDlqMessage);
}

/** Makes messages visible again at once, untouched. */
export async function releaseMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly DlqMessage[],
): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.receiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
}

/**
 * Reads every message of a queue (up to `limit`) and puts each back, visible and unchanged.
 * Duplicates (a message received twice during the read) are returned once.
 */
export async function peekMessages(
  sqs: SQSClient,
  queueUrl: string,
  options: PeekOptions = {},
): Promise<DlqMessage[]> {
  const limit = options.limit ?? 1000;
  const seen = new Map<string, DlqMessage>();
  const received: DlqMessage[] = [];
  try {
    // Two empty receives in a row: SQS samples a subset of its servers per short receive.
    let empty = 0;
    while (seen.size < limit && empty < 2) {
      const batch = await receiveBatch(
        sqs,
        queueUrl,
        limit - seen.size,
        options.visibilityTimeoutSeconds ?? 60,
        options.waitTimeSeconds ?? 1,
      );
      empty = batch.length === 0 ? empty + 1 : 0;
      for (const message of batch) {
        received.push(message);
        if (!seen.has(message.sqsMessageId)) seen.set(message.sqsMessageId, message);
      }
    }
  } finally {
    await releaseMessages(sqs, queueUrl, received);
  }
  return [...seen.values()];
}
