import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import {
  type Logger,
  longPollClient,
  type MetricsRegistry,
  withSagaContext,
} from "@sagaworks/platform";
import {
  type ConsumerInstruments,
  consumerInstruments,
  queueNameOf,
  sagaOf,
  sagaOfBody,
} from "./consumer-support.ts";
import { LastDeliveryDeadLetter } from "./dead-letter.ts";
import { decodeEnvelope, type Envelope } from "./envelope.ts";
import { type HandlerResult, poison, type ReceivedMessage, retryLater } from "./handler-result.ts";
import { AwsLimits, type StringAttributes } from "./limits.ts";

/** Options for {@link SqsConsumer}. */
export interface ConsumerOptions<Body> {
  sqs: SQSClient;
  queueUrl: string;
  logger: Logger;
  handler: (message: ReceivedMessage<Body>) => Promise<HandlerResult>;
  /** Parses the body; a throw makes the message poison. Defaults to {@link decodeEnvelope}. */
  decode?: (body: string | undefined) => Body;
  /** Messages handled at once; defaults to 10. */
  concurrency?: number;
  /** Long-poll wait per ReceiveMessage, 0 to 20 s; defaults to 20. */
  waitTimeSeconds?: number;
  /**
   * Visibility timeout set on receive and renewed at half its length while a handler runs;
   * defaults to {@link DEFAULT_VISIBILITY_TIMEOUT_SECONDS} (3 s).
   */
  visibilityTimeoutSeconds?: number;
  /**
   * How long deletes wait to fill a batch of ten; defaults to 500 ms. A delete is not on any
   * saga's path (the work is durable, the message invisible for the visibility timeout), so a
   * longer wait only saves requests. Keep it well under the visibility timeout, or acked
   * messages come back before their delete.
   */
  deleteBatchDelayMs?: number;
  /**
   * After a receive that did not fill a bite, the longest the next receive waits for the
   * handlers under way to finish, so the messages arriving meanwhile share one receive;
   * defaults to 10 ms, 0 turns it off. With no handler under way there is no wait.
   */
  receiveLingerMs?: number;
  /** The queue's maxReceiveCount, to warn on a message's last delivery before the DLQ. */
  maxReceiveCount?: number;
  /** Delay before redelivering after a handler threw; defaults to 2^(receiveCount-1) s, max 300. */
  errorRetryDelaySeconds?: (receiveCount: number) => number;
  /** The process's Prometheus registry: in-flight handlers and receive sizes, by queue. */
  metrics?: MetricsRegistry;
}

/** Counters of what a consumer did, for tests and benchmarks. */
export interface ConsumerStats {
  received: number;
  acked: number;
  retried: number;
  poisoned: number;
  failed: number;
  visibilityExtensions: number;
  deleteCalls: number;
}

type Slot = () => void;

/**
 * The visibility a message gets on receive. It is what a crash costs: a message whose process
 * died mid-handler reappears after it, for any consumer. So do the messages the broker hands to
 * a dead process's long poll, which it keeps open for the rest of its wait (up to 20 s) and
 * fills with the next batch that arrives: a SIGKILL hides up to ten messages received after it.
 * A handler that runs longer keeps its message hidden (renewed at half the timeout), so a short
 * timeout costs requests only for handlers slower than half of it. 30 s let step timeouts fire
 * first; 6 s still made a kill cost every saga whose message the dead poll took 6 s.
 */
export const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 3;

/** On stop, a long poll with more than this left is aborted; a shorter one is waited out. */
const ABORT_ABOVE_MS = 2_000;

/**
 * A long-polling SQS consumer with bounded concurrency. While a handler runs, the message's
 * visibility is extended so that a slow handler does not see its message delivered twice;
 * deletes are batched and happen only after the handler returns `ack`. A body that does not
 * decode, or a handler that throws, never stops the consumer.
 */
export class SqsConsumer<Body = Envelope> {
  readonly stats: ConsumerStats = {
    received: 0,
    acked: 0,
    retried: 0,
    poisoned: 0,
    failed: 0,
    visibilityExtensions: 0,
    deleteCalls: 0,
  };
  private readonly options: Required<
    Omit<ConsumerOptions<Body>, "maxReceiveCount" | "decode" | "errorRetryDelaySeconds" | "metrics">
  > &
    Pick<ConsumerOptions<Body>, "maxReceiveCount">;
  private readonly decode: (body: string | undefined) => Body;
  private readonly errorRetryDelay: (receiveCount: number) => number;
  private running = false;
  private loop: Promise<void> | undefined;
  /** Aborts the long poll under way when the consumer stops. */
  private polling = new AbortController();
  /** When the long poll under way started; undefined between polls. */
  private pollStartedAt: number | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiting: Slot[] = [];
  private pendingDeletes: { id: string; receiptHandle: string }[] = [];
  private deleteTimer: NodeJS.Timeout | undefined;
  private readonly deletesInFlight = new Set<Promise<void>>();
  private readonly deadLetters: LastDeliveryDeadLetter;
  /** Ends the linger before the next receive early (on stop). */
  private wakeLinger: (() => void) | undefined;
  private readonly instruments: ConsumerInstruments | undefined;
  /** The client the long polls go through (see {@link longPollClient}); `sqs` does the rest. */
  private readonly receiver: SQSClient;

  constructor(options: ConsumerOptions<Body>) {
    this.options = {
      concurrency: 10,
      waitTimeSeconds: AwsLimits.maxWaitTimeSeconds,
      visibilityTimeoutSeconds: DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
      deleteBatchDelayMs: 500,
      receiveLingerMs: 10,
      ...options,
    };
    this.receiver = longPollClient(options.sqs);
    this.decode = options.decode ?? (decodeEnvelope as (body: string | undefined) => Body);
    this.errorRetryDelay =
      options.errorRetryDelaySeconds ?? ((count) => Math.min(300, 2 ** Math.max(0, count - 1)));
    this.deadLetters = new LastDeliveryDeadLetter(
      options.sqs,
      options.queueUrl,
      options.maxReceiveCount,
    );
    this.instruments = options.metrics
      ? consumerInstruments(options.metrics, queueNameOf(options.queueUrl))
      : undefined;
  }

  /** Starts polling. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.polling = new AbortController();
    this.loop = this.pollLoop();
  }

  /**
   * Stops polling at once (the long poll under way is aborted), waits for in-flight handlers to
   * finish and flushes pending deletes, so a process stops in well under Docker's and
   * Kubernetes' grace periods instead of waiting out a 20 s long poll.
   */
  async stop(): Promise<void> {
    // Aborting the long poll is what makes SIGTERM fast, but it has a cost: the broker keeps the
    // abandoned poll open until its wait ends and may still hand it a message, which then stays
    // invisible for its visibility timeout (never lost: it is not deleted, and the inbox absorbs
    // the redelivery). So a poll that ends within ABORT_ABOVE_MS anyway is waited out (no
    // message strands), and only a longer one is aborted (stop no longer waits up to 20 s).
    this.running = false;
    const remainingMs =
      this.pollStartedAt === undefined
        ? 0
        : this.options.waitTimeSeconds * 1000 - (Date.now() - this.pollStartedAt);
    if (remainingMs > ABORT_ABOVE_MS) this.polling.abort();
    for (const wake of this.waiting.splice(0)) wake();
    this.wakeLinger?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    await this.flushDeletes();
    await Promise.allSettled([...this.deletesInFlight]);
  }

  private async pollLoop(): Promise<void> {
    let errorDelayMs = 0;
    // Take messages in bites of up to ten: with one or two slots free, a receive would bring one
    // or two messages and cost a request each; waiting for half of a bite to be free (handlers
    // finish within milliseconds under load) lets one request carry several.
    const bite = Math.min(AwsLimits.maxReceiveMessages, this.options.concurrency);
    const enough = Math.max(1, Math.ceil(bite / 2));
    while (this.running) {
      const free = this.options.concurrency - this.inFlight.size;
      if (free <= 0 || (free < enough && this.inFlight.size > 0)) {
        await new Promise<void>((resolve) => this.waiting.push(resolve));
        continue;
      }
      let messages: Message[];
      this.pollStartedAt = Date.now();
      try {
        const response = await this.receiver.send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.queueUrl,
            MaxNumberOfMessages: Math.min(AwsLimits.maxReceiveMessages, free),
            WaitTimeSeconds: this.options.waitTimeSeconds,
            VisibilityTimeout: this.options.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ["ApproximateReceiveCount"],
            MessageAttributeNames: ["All"],
          }),
          { abortSignal: this.polling.signal },
        );
        messages = response.Messages ?? [];
        this.instruments?.received(messages.length);
        errorDelayMs = 0;
        this.pollStartedAt = undefined;
      } catch (error) {
        this.pollStartedAt = undefined;
        if (!this.running) break;
        // The endpoint is down or throttling: back off (up to 10 s) instead of spinning.
        errorDelayMs = Math.min(10_000, Math.max(200, errorDelayMs * 2));
        this.options.logger.warn(
          { err: error, queueUrl: this.options.queueUrl, retryInMs: errorDelayMs },
          "receive failed",
        );
        await new Promise((resolve) => setTimeout(resolve, errorDelayMs));
        continue;
      }
      if (!this.running) {
        await this.release(messages);
        break;
      }
      for (const message of messages) {
        this.stats.received++;
        this.instruments?.inFlight.inc();
        const task = this.handle(message).finally(() => {
          this.instruments?.inFlight.dec();
          this.inFlight.delete(task);
          this.waiting.shift()?.();
        });
        this.inFlight.add(task);
      }
      if (messages.length > 0 && messages.length < bite) await this.lingerBeforeReceive();
    }
  }

  /**
   * A receive returns as soon as any message is there, so under load a consumer that asks again
   * at once gets one or two messages per request (and its handlers' replies leave one or two per
   * send). Waiting, after a receive that did not fill a bite, until the handlers under way finish
   * (at most `receiveLingerMs`) lets the messages that arrive meanwhile come in one request, as a
   * hand-written receive-handle-delete loop does. When nothing is in flight there is no wait, and
   * one saga at a time pays nothing: its next message is a consequence of the handler's work, so
   * it cannot arrive before that handler ends.
   */
  private async lingerBeforeReceive(): Promise<void> {
    const maxMs = this.options.receiveLingerMs;
    if (maxMs <= 0 || this.inFlight.size === 0 || !this.running) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wakeLinger = resolve;
      timer = setTimeout(resolve, maxMs);
      void Promise.allSettled([...this.inFlight]).then(() => resolve());
    });
    clearTimeout(timer);
    this.wakeLinger = undefined;
  }

  /** Makes received but unhandled messages visible again now, for another consumer. */
  private async release(messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      await this.options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle ?? "",
            VisibilityTimeout: 0,
          })),
        }),
      );
    } catch (error) {
      this.options.logger.warn(
        { err: error, count: messages.length },
        "could not return messages on stop; they reappear after their visibility timeout",
      );
    }
  }

  private async handle(message: Message): Promise<void> {
    const receiptHandle = message.ReceiptHandle ?? "";
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? "1");
    // A child logger costs microseconds to make (pino serialises its bindings) and a message
    // handled and acked logs nothing here, so it is made when something is logged.
    let child: Logger | undefined;
    const log = (): Logger => {
      child ??= this.options.logger.child({
        queueUrl: this.options.queueUrl,
        sqsMessageId: message.MessageId,
        receiveCount,
      });
      return child;
    };
    const stopExtending = this.keepInvisible(receiptHandle, log);
    // Decoded once: the handler's body also gives the log context its saga fields.
    let decoded: { body: Body } | { error: Error };
    try {
      decoded = { body: this.decode(message.Body) };
    } catch (error) {
      decoded = { error: error as Error };
    }
    const settleAll = async () => {
      let result: HandlerResult;
      try {
        result =
          "body" in decoded
            ? await this.run(decoded.body, message, receiveCount, log)
            : poison(decoded.error.message);
      } finally {
        stopExtending();
      }
      await this.settle(result, message, receiveCount, log);
    };
    // Every line written while handling a saga's message carries the saga's fields.
    const saga = "body" in decoded ? sagaOfBody(decoded.body) : sagaOf(message.Body);
    await (saga ? withSagaContext(saga, settleAll) : settleAll());
  }

  private async run(
    body: Body,
    message: Message,
    receiveCount: number,
    log: () => Logger,
  ): Promise<HandlerResult> {
    const attributes: StringAttributes = {};
    for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
      if (value.StringValue !== undefined) attributes[name] = value.StringValue;
    }
    try {
      return await this.options.handler({
        body,
        sqsMessageId: message.MessageId ?? "",
        receiveCount,
        attributes,
      });
    } catch (error) {
      this.stats.failed++;
      const delaySeconds = this.errorRetryDelay(receiveCount);
      log().error({ err: error, retryInSeconds: delaySeconds }, "handler threw; will redeliver");
      return retryLater(delaySeconds, `handler threw: ${(error as Error).message}`);
    }
  }

  private async settle(
    result: HandlerResult,
    message: Message,
    receiveCount: number,
    log: () => Logger,
  ): Promise<void> {
    const receiptHandle = message.ReceiptHandle ?? "";
    if (result.type === "ack") {
      this.stats.acked++;
      this.queueDelete(message.MessageId ?? "", receiptHandle);
      return;
    }
    // On its last delivery a failing message is dead-lettered here, with the reason as an
    // attribute, instead of by the redrive policy on the next receive, which would lose it.
    if (result.type === "poison") this.stats.poisoned++;
    else this.stats.retried++;
    if (await this.deadLetters.onLastDelivery(result.reason, message, receiveCount, log())) return;
    if (result.type === "retry-later") {
      log().info({ reason: result.reason, delaySeconds: result.delaySeconds }, "retry later");
      const delay = Math.max(
        0,
        Math.min(result.delaySeconds, AwsLimits.maxVisibilityTimeoutSeconds - 1),
      );
      await this.changeVisibility(receiptHandle, Math.round(delay), log);
      return;
    }
    const last =
      this.options.maxReceiveCount !== undefined && receiveCount >= this.options.maxReceiveCount;
    log().error(
      { reason: result.reason, lastDeliveryBeforeDlq: last },
      "poison message: left for the redrive policy to move to the DLQ",
    );
    // Visible again at once, so it reaches maxReceiveCount (and the DLQ) without waiting out
    // the visibility timeout on every delivery.
    await this.changeVisibility(receiptHandle, 0, log);
  }

  /** Renews the visibility timeout at half its length until the returned function is called. */
  private keepInvisible(receiptHandle: string, log: () => Logger): () => void {
    const timeoutSeconds = this.options.visibilityTimeoutSeconds;
    const receivedAt = Date.now();
    const timer = setInterval(
      () => {
        const elapsedSeconds = (Date.now() - receivedAt) / 1000;
        // SQS caps a message's total invisibility at 12 h from its receipt.
        if (elapsedSeconds + timeoutSeconds >= AwsLimits.maxVisibilityTimeoutSeconds) {
          clearInterval(timer);
          log().warn("handler passed the 12 h visibility limit; the message will be redelivered");
          return;
        }
        this.stats.visibilityExtensions++;
        void this.changeVisibility(receiptHandle, timeoutSeconds, log);
      },
      (timeoutSeconds * 1000) / 2,
    );
    return () => clearInterval(timer);
  }

  private async changeVisibility(receiptHandle: string, seconds: number, log: () => Logger) {
    try {
      await this.options.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.options.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    } catch (error) {
      // Not fatal: the message becomes visible when its current timeout ends.
      log().warn({ err: error, seconds }, "could not change visibility");
    }
  }

  private queueDelete(id: string, receiptHandle: string): void {
    this.pendingDeletes.push({ id, receiptHandle });
    if (this.pendingDeletes.length >= AwsLimits.maxBatchEntries) {
      void this.flushDeletes();
    } else {
      this.deleteTimer ??= setTimeout(
        () => void this.flushDeletes(),
        this.options.deleteBatchDelayMs,
      );
    }
  }

  private flushDeletes(): Promise<void> {
    clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
    const batches: { id: string; receiptHandle: string }[][] = [];
    while (this.pendingDeletes.length > 0) {
      batches.push(this.pendingDeletes.splice(0, AwsLimits.maxBatchEntries));
    }
    const work = Promise.all(batches.map((batch) => this.deleteBatch(batch))).then(() => {});
    this.deletesInFlight.add(work);
    void work.finally(() => this.deletesInFlight.delete(work));
    return work;
  }

  private async deleteBatch(batch: { id: string; receiptHandle: string }[]): Promise<void> {
    this.stats.deleteCalls++;
    try {
      const response = await this.options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: batch.map((entry, index) => ({
            Id: String(index),
            ReceiptHandle: entry.receiptHandle,
          })),
        }),
      );
      for (const failure of response.Failed ?? []) {
        // The work is durable already; the redelivery this causes is absorbed by the inbox.
        this.options.logger.warn(
          { queueUrl: this.options.queueUrl, code: failure.Code, message: failure.Message },
          "delete failed; the message will be delivered again",
        );
      }
    } catch (error) {
      this.options.logger.warn(
        { err: error, queueUrl: this.options.queueUrl, count: batch.length },
        "delete batch failed; the messages will be delivered again",
      );
    }
  }
}
