// Dead-lettering a message on its last delivery, with the reason, before SQS's redrive policy
// would move it without one.
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Logger } from "@sagaworks/platform";
import { DeadLetterAttribute, MAX_REASON_LENGTH } from "./handler-result.ts";
import { AwsLimits } from "./limits.ts";

/** Sends a failing message to its queue's DLQ with the reason, on its last delivery only. */
export class LastDeliveryDeadLetter {
  /** The queue's redrive target, looked up on the first failure; undefined until then. */
  private deadLetter: Promise<{ url: string; maxReceiveCount: number } | null> | undefined;

  private readonly sqs: SQSClient;
  private readonly queueUrl: string;
  /** Overrides the redrive policy's maxReceiveCount when set. */
  private readonly maxReceiveCount: number | undefined;

  constructor(sqs: SQSClient, queueUrl: string, maxReceiveCount: number | undefined) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
    this.maxReceiveCount = maxReceiveCount;
  }

  /**
   * When this is the message's last delivery before the DLQ, sends a copy with the failure
   * reason to the DLQ, then deletes the original (send-then-delete: a failed send leaves the
   * message to the redrive policy, a failed delete at worst leaves a second copy in the DLQ).
   * Returns false when it did not dead-letter the message.
   */
  async onLastDelivery(
    reason: string,
    message: Message,
    receiveCount: number,
    log: Logger,
  ): Promise<boolean> {
    const target = await this.redriveTarget(log);
    if (!target) return false;
    const maxReceiveCount = this.maxReceiveCount ?? target.maxReceiveCount;
    if (receiveCount < maxReceiveCount) return false;
    const added: Record<string, MessageAttributeValue> = {
      [DeadLetterAttribute.reason]: {
        DataType: "String",
        StringValue: reason.slice(0, MAX_REASON_LENGTH) || "(no reason given)",
      },
      [DeadLetterAttribute.source]: {
        DataType: "String",
        StringValue: this.queueUrl.split("/").pop() ?? this.queueUrl,
      },
      [DeadLetterAttribute.failedAt]: { DataType: "String", StringValue: new Date().toISOString() },
    };
    // The original attributes travel with it (routing keys); ours replace any of the same name
    // and the total stays within SQS's ten.
    const kept = Object.entries(message.MessageAttributes ?? {})
      .filter(([name]) => !(name in added))
      .slice(0, AwsLimits.maxMessageAttributes - Object.keys(added).length);
    try {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: target.url,
          MessageBody: message.Body ?? "",
          MessageAttributes: { ...Object.fromEntries(kept), ...added },
        }),
      );
    } catch (error) {
      log.warn({ err: error }, "could not dead-letter with the reason; leaving it to the redrive");
      return false;
    }
    log.error({ reason, deadLetterQueueUrl: target.url }, "dead-lettered on its last delivery");
    try {
      await this.sqs.send(
        new DeleteMessageCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: message.ReceiptHandle ?? "",
        }),
      );
    } catch (error) {
      log.warn({ err: error }, "dead-lettered but not deleted: the DLQ may get a second copy");
    }
    return true;
  }

  /** The DLQ named by the queue's RedrivePolicy, or null when it has none or it is unreadable. */
  private redriveTarget(log: Logger): Promise<{ url: string; maxReceiveCount: number } | null> {
    this.deadLetter ??= (async () => {
      const response = await this.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.queueUrl,
          AttributeNames: ["RedrivePolicy"],
        }),
      );
      const policy = response.Attributes?.RedrivePolicy;
      if (!policy) return null;
      const parsed = JSON.parse(policy) as {
        deadLetterTargetArn?: string;
        maxReceiveCount?: unknown;
      };
      const name = parsed.deadLetterTargetArn?.split(":").pop();
      if (!name) return null;
      const found = await this.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      if (!found.QueueUrl) return null;
      return { url: found.QueueUrl, maxReceiveCount: Number(parsed.maxReceiveCount ?? 1) };
    })().catch((error: unknown) => {
      // Looked up again on the next failure; meanwhile the redrive policy still applies.
      log.warn({ err: error }, "could not read the queue's redrive policy");
      this.deadLetter = undefined;
      return null;
    });
    return this.deadLetter;
  }
}
