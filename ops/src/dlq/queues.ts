// Where the dead-letter queues are: derived from the topology (participants from the saga
// definitions), never typed in, then resolved to URLs on the broker.
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { loadDefinitions, participantsOf } from "@sagaworks/orchestrator";
import { deriveTopology, QueueRole, type Topology } from "@sagaworks/topology";

/** A DLQ and the working queue that feeds it. */
export interface DeadLetterQueue {
  name: string;
  /** Undefined when the queue does not exist on the broker. */
  url: string | undefined;
  /** Who reads the source queue: a participant or `orchestrator`. */
  owner: string;
  role: string;
  source: { name: string; url: string | undefined };
}

/** The environment's topology, from the definitions in `definitionsDir`. */
export async function environmentTopology(
  prefix: string,
  definitionsDir: string,
  maxReceiveCount: number,
): Promise<Topology> {
  const definitions = await loadDefinitions(definitionsDir);
  return deriveTopology({ prefix, participants: participantsOf(definitions), maxReceiveCount });
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
      };
    }),
  );
}

/** Finds one DLQ by name (or by its source queue's name), with the list to pick from if not. */
export function pickQueue(queues: readonly DeadLetterQueue[], name: string): DeadLetterQueue {
  const found = queues.find((queue) => queue.name === name || queue.source.name === name);
  if (!found) {
    throw new Error(
      `No DLQ named "${name}" in this environment's topology. DLQs: ${queues.map((q) => q.name).join(", ")}`,
    );
  }
  if (!found.url || !found.source.url) {
    throw new Error(
      `Queue ${found.url ? found.source.name : found.name} does not exist on the broker; apply the topology first (pnpm topology apply).`,
    );
  }
  return found;
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
