import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { type Logger, type LostDependency, publicReason } from "@sagaworks/platform";

/** Options of {@link QueueProbe}. */
export interface QueueProbeOptions {
  sqs: SQSClient;
  /** The queues the process cannot work without (its own queue, the queues it sends to). */
  queues: readonly string[];
  logger: Logger;
  /** Time between checks; defaults to 5 s. */
  intervalMs?: number;
}

/**
 * Keeps a `reachable` flag for `/ready`: true while every named queue answers (GetQueueUrl then
 * GetQueueAttributes, both read-only). A process whose broker or queues are gone then drops out
 * of its load balancer instead of answering 200 while sagas stall. Logs each change at warn/info.
 */
export class QueueProbe {
  /** True when the last check found every queue. */
  reachable = false;
  /**
   * Why the queues were not reachable at the last check, since the first failed check in a row;
   * undefined while they are, and before the first check.
   */
  lost: LostDependency | undefined;
  private readonly options: QueueProbeOptions;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(options: QueueProbeOptions) {
    this.options = options;
  }

  /** Checks once now, then every `intervalMs`; resolves after the first check. */
  async start(): Promise<void> {
    await this.check();
    this.timer ??= setInterval(() => {
      this.checking ??= this.check().finally(() => {
        this.checking = undefined;
      });
    }, this.options.intervalMs ?? 5_000);
    this.timer.unref();
  }

  /** Stops checking. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
  }

  private async check(): Promise<void> {
    const { sqs, queues, logger } = this.options;
    try {
      for (const name of queues) {
        const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
        await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
        );
      }
      if (!this.reachable) logger.info({ queues }, "queues reachable");
      this.reachable = true;
      this.lost = undefined;
    } catch (error) {
      this.lost = {
        dependency: "broker",
        reason: publicReason(error),
        since: this.lost?.since ?? new Date(),
      };
      if (this.reachable || this.timer === undefined) {
        logger.warn({ err: error, queues }, "queues unreachable: /ready answers 503");
      }
      this.reachable = false;
    }
  }
}
