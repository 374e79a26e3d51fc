// Where the dead-letter queues are: derived from the topology (every working queue's `-dlq`),
// never typed in, then resolved to URLs on the broker.
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { QueueRole, type Topology } from "@sagaworks/topology";

/** A DLQ and the working queue that feeds it. */
export interface DeadLetterQueue {
  name: string;
  /** Undefined when the queue does not exist on the broker. */
  url: string | undefined;
  /** Who reads the source queue: a participant or `orchestrator`. */
  owner: string;
  role: string;
  source: { name: string; url: string | undefined };
  /** Deliveries of the source queue before SQS moves a message here. */
  maxReceiveCount?: number | undefined;
}

async function queueUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    const code = (error as { name?: string; Code?: string }).name ?? "";
    if (/NonExistentQueue|QueueDoesNotExist/.test(code)) return undefined;
    throw error;
  }
}

/** Every DLQ of the topology with its source queue, resolved on the broker. */
export async function deadLetterQueues(
  sqs: SQSClient,
  topology: Topology,
): Promise<DeadLetterQueue[]> {
  const sources = topology.queues.filter((queue) => queue.deadLetterQueue !== undefined);
  return Promise.all(
    sources.map(async (source) => {
      const name = source.deadLetterQueue ?? "";
      const [url, sourceUrl] = await Promise.all([queueUrl(sqs, name), queueUrl(sqs, source.name)]);
      return {
        name,
        url,
        owner: source.owner,
        role: source.role === QueueRole.replies ? "replies" : source.role,
        source: { name: source.name, url: sourceUrl },
        maxReceiveCount: source.maxReceiveCount,
      };
    }),
  );
}

/** The DLQ of this name, or of the source queue of this name; undefined when there is none. */
export function findDeadLetterQueue(
  queues: readonly DeadLetterQueue[],
  name: string,
): DeadLetterQueue | undefined {
  return queues.find((queue) => queue.name === name || queue.source.name === name);
}

/** Depth and redrive policy of a queue, as SQS reports them. */
export async function queueStats(sqs: SQSClient, url: string) {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
        "RedrivePolicy",
      ],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    redrivePolicy: Attributes.RedrivePolicy
      ? (JSON.parse(Attributes.RedrivePolicy) as {
          deadLetterTargetArn?: string;
          maxReceiveCount?: number;
        })
      : null,
  };
}
