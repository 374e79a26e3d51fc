import type { SQSClient } from "@aws-sdk/client-sqs";
import { silentLogger } from "@sagaworks/platform";
import { SqsConsumer } from "../consumer.ts";

/**
 * A stand-in for a broken participant on `queueUrl`: every delivery throws `reason` and is
 * redelivered at once, until the queue's redrive policy dead-letters it. Not started.
 */
export function alwaysFailingConsumer(options: {
  sqs: SQSClient;
  queueUrl: string;
  reason: string;
}): SqsConsumer {
  return new SqsConsumer({
    sqs: options.sqs,
    queueUrl: options.queueUrl,
    logger: silentLogger(),
    waitTimeSeconds: 1,
    errorRetryDelaySeconds: () => 0,
    handler: async () => {
      throw new Error(options.reason);
    },
  });
}
