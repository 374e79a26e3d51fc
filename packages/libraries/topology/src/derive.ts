import { z } from "zod";
import { TopologyErrorCode, TopologyErrors } from "./errors.ts";

/** What a queue is for. */
export const QueueRole = {
  commands: "commands",
  replies: "replies",
  events: "events",
  /** Events other systems send for sagas waiting on them (`await` steps). */
  outsideEvents: "outside-events",
  deadLetter: "dead-letter",
} as const;
export type QueueRole = (typeof QueueRole)[keyof typeof QueueRole];

/** One SQS queue to exist, with the attributes it must have (DLQ wiring is by name). */
export interface QueueSpec {
  name: string;
  role: QueueRole;
  /** Who reads it: a participant, `orchestrator`, or an event subscriber. */
  owner: string;
  /** Attributes as SQS takes them, except RedrivePolicy and Policy, which need ARNs. */
  attributes: Record<string, string>;
  /** Name of its DLQ; undefined for a DLQ itself. */
  deadLetterQueue?: string;
  maxReceiveCount?: number;
}

/** An SNS topic to exist. */
export interface TopicSpec {
  name: string;
}

/** An SNS→SQS subscription to exist. */
export interface SubscriptionSpec {
  topic: string;
  queue: string;
  rawMessageDelivery: boolean;
  /** Filter policy on message attributes; undefined delivers everything. */
  filterPolicy?: Record<string, unknown> | undefined;
}

/** Every queue, topic and subscription of one environment. */
export interface Topology {
  prefix: string;
  queues: QueueSpec[];
  topics: TopicSpec[];
  subscriptions: SubscriptionSpec[];
}

const NAME_PART = /^[a-z][a-z0-9-]*$/;
const nameSchema = z
  .string()
  .regex(NAME_PART, "use lower-case letters, digits and dashes, starting with a letter");

/** The input of {@link deriveTopology}. */
export const topologyInputSchema = z.object({
  /** Per-environment prefix of every name (`dev`, `pr-123`, `prod`). */
  prefix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, "use lower-case letters, digits and dashes (at most 31)"),
  /** Services that take commands over SQS; each gets a command queue and its DLQ. */
  participants: z.array(nameSchema).min(1, "declare at least one participant"),
  /** Deliveries before SQS moves a message to the DLQ; defaults to 5. */
  maxReceiveCount: z.int().min(1).max(1000).default(5),
  /** Visibility timeout of the working queues, in seconds; defaults to 30. */
  visibilityTimeoutSeconds: z.int().min(0).max(43_200).default(30),
  /** Retention of working queues in seconds; defaults to 4 days. DLQs keep 14 days. */
  retentionSeconds: z.int().min(60).max(1_209_600).default(345_600),
  /** Consumers of lifecycle events: each gets a queue subscribed to the saga-events topic. */
  eventSubscribers: z
    .array(
      z.object({
        name: nameSchema,
        rawMessageDelivery: z.boolean().default(true),
        filterPolicy: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .default([]),
});
/** What callers pass to {@link deriveTopology}. */
export type TopologyInput = z.input<typeof topologyInputSchema>;
/** One reader of the lifecycle events topic, as {@link deriveTopology} takes it. */
export type EventSubscriberInput = NonNullable<TopologyInput["eventSubscribers"]>[number];

const MAX_QUEUE_NAME = 80;
const DLQ_RETENTION_SECONDS = 1_209_600;

/** Name of a participant's command queue. */
export const commandQueueName = (prefix: string, participant: string) =>
  `${prefix}-${participant}-commands`;
/** Name of the orchestrator's reply queue. */
export const replyQueueName = (prefix: string) => `${prefix}-saga-replies`;
/** Name of the lifecycle events topic. */
export const eventsTopicName = (prefix: string) => `${prefix}-saga-events`;
/** Name of an event subscriber's queue. */
export const eventQueueName = (prefix: string, subscriber: string) =>
  `${prefix}-${subscriber}-saga-events`;
/** Name of the topic other systems publish their events to, for sagas waiting on them. */
export const outsideEventsTopicName = (prefix: string) => `${prefix}-outside-events`;
/** Name of the orchestrator's queue subscribed to the outside events topic. */
export const outsideEventsQueueName = (prefix: string) => `${prefix}-orchestrator-outside-events`;
/** Name of a queue's DLQ. */
export const deadLetterQueueName = (queue: string) => `${queue}-dlq`;

/**
 * Derives every queue, DLQ, topic and subscription from the participant list. The embedded
 * emulator, the LocalStack set-up, the CDK stack and `apply` all call this one function, so they
 * cannot drift apart. Pure: no I/O.
 */
export function deriveTopology(input: TopologyInput): Topology {
  const parsed = topologyInputSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.join(".") || "(input)"}: ${i.message}`,
    );
    throw TopologyErrors.create(
      TopologyErrorCode.invalid,
      `The topology input is invalid: ${problems.join("; ")}`,
      { problems },
    );
  }
  const options = parsed.data;
  const { prefix } = options;
  const queues: QueueSpec[] = [];
  const working = (name: string, role: QueueRole, owner: string) => {
    const dlq = deadLetterQueueName(name);
    queues.push({
      name: dlq,
      role: QueueRole.deadLetter,
      owner,
      attributes: { MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS) },
    });
    queues.push({
      name,
      role,
      owner,
      attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(options.retentionSeconds),
        ReceiveMessageWaitTimeSeconds: "20",
      },
      deadLetterQueue: dlq,
      maxReceiveCount: options.maxReceiveCount,
    });
  };
  const unique = new Set(options.participants);
  if (unique.size !== options.participants.length) {
    throw TopologyErrors.create(
      TopologyErrorCode.invalid,
      `Participants must be unique; got ${options.participants.join(", ")}`,
      { participants: options.participants },
    );
  }
  for (const participant of options.participants) {
    working(commandQueueName(prefix, participant), QueueRole.commands, participant);
  }
  working(replyQueueName(prefix), QueueRole.replies, "orchestrator");
  const topic = eventsTopicName(prefix);
  const subscriptions: SubscriptionSpec[] = [];
  // Outside events arrive by SNS too (the other way is HTTP): the body is the event as sent,
  // so the subscription delivers it raw.
  const outsideTopic = outsideEventsTopicName(prefix);
  working(outsideEventsQueueName(prefix), QueueRole.outsideEvents, "orchestrator");
  subscriptions.push({
    topic: outsideTopic,
    queue: outsideEventsQueueName(prefix),
    rawMessageDelivery: true,
  });
  for (const subscriber of options.eventSubscribers) {
    const queue = eventQueueName(prefix, subscriber.name);
    working(queue, QueueRole.events, subscriber.name);
    subscriptions.push({
      topic,
      queue,
      rawMessageDelivery: subscriber.rawMessageDelivery,
      filterPolicy: subscriber.filterPolicy,
    });
  }
  for (const queue of queues) {
    if (queue.name.length > MAX_QUEUE_NAME) {
      throw TopologyErrors.create(
        TopologyErrorCode.invalid,
        `Queue name "${queue.name}" is ${queue.name.length} characters; SQS allows ${MAX_QUEUE_NAME}. Use a shorter prefix or participant name.`,
        { queue: queue.name },
      );
    }
  }
  return { prefix, queues, topics: [{ name: topic }, { name: outsideTopic }], subscriptions };
}

/**
 * The lifecycle events somebody reads, by name, or undefined when any event may be read.
 *
 * A topology that declares event subscribers declares all of them. When every one of them has
 * a filter policy that takes events by `name` alone, from a list of names, an event outside the
 * union of those lists reaches no queue, and publishing it would be a request for nothing. Any
 * other subscriber (no filter policy, or one on other attributes or with operators) may read any
 * event, and so may a subscriber made outside the topology when none is declared: undefined.
 */
export function eventNamesRead(topology: Topology): ReadonlySet<string> | undefined {
  const topic = eventsTopicName(topology.prefix);
  const readers = topology.subscriptions.filter((subscription) => subscription.topic === topic);
  if (readers.length === 0) return undefined;
  const names = new Set<string>();
  for (const { filterPolicy } of readers) {
    if (!filterPolicy) return undefined;
    const keys = Object.keys(filterPolicy);
    const byName = filterPolicy.name;
    if (keys.length !== 1 || !Array.isArray(byName)) return undefined;
    for (const value of byName) {
      if (typeof value !== "string") return undefined;
      names.add(value);
    }
  }
  return names;
}
