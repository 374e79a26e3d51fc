import { type Message, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { type WaitOptions, waitFor } from "./wait.ts";

/**
 * Records what a handler saw, so a test can wait for a message instead of sleeping.
 * Wrap a handler with {@link MessageSpy.wrap} or call {@link MessageSpy.record} yourself.
 */
export class MessageSpy<Item> {
  readonly items: Item[] = [];

  /** Records one item. */
  record(item: Item): void {
    this.items.push(item);
  }

  /** Returns a handler that records its argument, then calls `handler`. */
  wrap<Result>(handler: (item: Item) => Promise<Result>): (item: Item) => Promise<Result> {
    return (item) => {
      this.record(item);
      return handler(item);
    };
  }

  /** Waits until an item matches, and returns it. */
  waitForItem(predicate: (item: Item) => boolean, options: WaitOptions = {}): Promise<Item> {
    return waitFor(() => this.items.find(predicate), {
      description: "a matching message",
      ...options,
    });
  }

  /** Waits until at least `count` items matched, and returns them. */
  async waitForCount(
    count: number,
    predicate: (item: Item) => boolean = () => true,
    options: WaitOptions = {},
  ): Promise<Item[]> {
    return waitFor(
      () => {
        const matched = this.items.filter(predicate);
        return matched.length >= count ? matched : undefined;
      },
      { description: `${count} matching message(s)`, ...options },
    );
  }
}

/**
 * Receives (and leaves in place until their visibility ends) messages from a queue until
 * `count` have arrived: for looking into a DLQ from a test.
 */
export async function receiveMessages(
  sqs: SQSClient,
  queueUrl: string,
  count: number,
  options: WaitOptions = {},
): Promise<Message[]> {
  const seen = new Map<string, Message>();
  await waitFor(
    async () => {
      const response = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 60,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
      );
      for (const message of response.Messages ?? []) seen.set(message.MessageId ?? "", message);
      return seen.size >= count;
    },
    { description: `${count} message(s) in ${queueUrl}`, ...options },
  );
  return [...seen.values()];
}
