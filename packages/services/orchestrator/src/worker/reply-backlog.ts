import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { DEFAULT_VISIBILITY_TIMEOUT_SECONDS } from "@sagaworks/messaging";
import type { Logger } from "@sagaworks/platform";

/** Options of {@link replyBacklogRead}. */
export interface ReplyBacklogOptions {
  sqs: SQSClient;
  /** The saga-replies queue this process consumes. */
  queueUrl: string;
  logger: Logger;
  /** The reply consumer's visibility timeout; defaults to the consumer's default. */
  visibilityTimeoutSeconds?: number | undefined;
}

/**
 * Answers whether the replies waiting when this process started have been read, given the time
 * since it started (its reply consumer starts with it): the reply queue shows no visible
 * message, and the visibility timeout has passed since the start, so the
 * replies a killed replica had received (and its dead long poll took) have reappeared and been
 * read too. Each call past the visibility timeout costs one GetQueueAttributes; it is asked only
 * while step timeouts are due and held after a start (see TimerPoller), never in steady state.
 * A failed request answers "not yet"; the hold's limit ends the wait.
 */
export function replyBacklogRead(
  options: ReplyBacklogOptions,
): (sinceStartMs: number) => Promise<boolean> {
  const visibilityMs =
    (options.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS) * 1000;
  return async (sinceStartMs) => {
    if (sinceStartMs < visibilityMs) return false;
    try {
      const answer = await options.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: options.queueUrl,
          AttributeNames: ["ApproximateNumberOfMessages"],
        }),
      );
      return Number(answer.Attributes?.ApproximateNumberOfMessages ?? "1") === 0;
    } catch (error) {
      options.logger.warn(
        { err: error, queueUrl: options.queueUrl },
        "could not read the reply queue's depth; step timeouts stay held until the hold's limit",
      );
      return false;
    }
  };
}
