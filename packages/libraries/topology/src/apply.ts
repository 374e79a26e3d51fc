import {
  CreateTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  SetSubscriptionAttributesCommand,
  type SNSClient,
  SubscribeCommand,
} from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Topology } from "./derive.ts";
import { TopologyErrorCode, TopologyErrors } from "./errors.ts";

/** What `apply` did to one resource. */
export type ApplyAction = "created" | "updated" | "unchanged";

/** What `apply` did, resource by resource. */
export interface ApplyReport {
  queues: { name: string; url: string; arn: string; action: ApplyAction }[];
  topics: { name: string; arn: string; action: ApplyAction }[];
  subscriptions: { topic: string; queue: string; arn: string; action: ApplyAction }[];
  /** True when anything was created or updated. */
  changed: boolean;
}

/** Where each resource of an applied topology lives: what producers and consumers need. */
export interface ResolvedTopology {
  queueUrls: Record<string, string>;
  queueArns: Record<string, string>;
  topicArns: Record<string, string>;
}

/**
 * Makes the endpoint match the topology: creates what is missing and corrects attributes that
 * differ, leaving the rest alone. Running it twice changes nothing the second time. Works the
 * same on AWS, LocalStack and the embedded emulator. It never deletes anything.
 */
export async function applyTopology(
  clients: { sqs: SQSClient; sns: SNSClient },
  topology: Topology,
): Promise<ApplyReport & ResolvedTopology> {
  const report: ApplyReport = { queues: [], topics: [], subscriptions: [], changed: false };
  const queueUrls: Record<string, string> = {};
  const queueArns: Record<string, string> = {};
  const topicArns: Record<string, string> = {};
  try {
    const existingTopics = await listTopicArns(clients.sns);
    for (const topic of topology.topics) {
      const known = existingTopics.find((arn) => arn.endsWith(`:${topic.name}`));
      const arn =
        known ??
        (await clients.sns.send(new CreateTopicCommand({ Name: topic.name }))).TopicArn ??
        "";
      topicArns[topic.name] = arn;
      report.topics.push({ name: topic.name, arn, action: known ? "unchanged" : "created" });
    }

    // DLQs come first in the derived list, so their ARNs exist when the redrive policy needs them.
    for (const queue of topology.queues) {
      const desired = { ...queue.attributes };
      if (queue.deadLetterQueue) {
        desired.RedrivePolicy = JSON.stringify({
          deadLetterTargetArn: queueArns[queue.deadLetterQueue],
          maxReceiveCount: queue.maxReceiveCount,
        });
      }
      const subscribedTopics = topology.subscriptions.filter((s) => s.queue === queue.name);
      if (subscribedTopics.length > 0) {
        desired.Policy = JSON.stringify(
          snsDeliveryPolicy(subscribedTopics.map((s) => topicArns[s.topic] ?? "")),
        );
      }
      const applied = await applyQueue(clients.sqs, queue.name, desired);
      queueUrls[queue.name] = applied.url;
      queueArns[queue.name] = applied.arn;
      report.queues.push({
        name: queue.name,
        url: applied.url,
        arn: applied.arn,
        action: applied.action,
      });
    }

    for (const subscription of topology.subscriptions) {
      const topicArn = topicArns[subscription.topic] ?? "";
      const queueArn = queueArns[subscription.queue] ?? "";
      const desired: Record<string, string> = {
        RawMessageDelivery: String(subscription.rawMessageDelivery),
      };
      if (subscription.filterPolicy) {
        desired.FilterPolicy = JSON.stringify(subscription.filterPolicy);
        desired.FilterPolicyScope = "MessageAttributes";
      }
      const applied = await applySubscription(clients.sns, topicArn, queueArn, desired);
      report.subscriptions.push({
        topic: subscription.topic,
        queue: subscription.queue,
        arn: applied.arn,
        action: applied.action,
      });
    }
  } catch (cause) {
    if (TopologyErrors.is(cause)) throw cause;
    throw TopologyErrors.create(
      TopologyErrorCode.applyFailed,
      `Applying topology "${topology.prefix}" failed: ${(cause as Error).message}. Nothing was deleted; fix the cause and run apply again (it is idempotent).`,
      { prefix: topology.prefix },
      { cause },
    );
  }
  report.changed = [...report.queues, ...report.topics, ...report.subscriptions].some(
    (entry) => entry.action !== "unchanged",
  );
  return { ...report, queueUrls, queueArns, topicArns };
}

/** The queue policy that lets SNS deliver from these topics (needed on AWS, harmless elsewhere). */
function snsDeliveryPolicy(topicArns: string[]) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AllowSagaEventsTopic",
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: "*",
        Condition: { ArnEquals: { "aws:SourceArn": topicArns } },
      },
    ],
  };
}

async function listTopicArns(sns: SNSClient): Promise<string[]> {
  const arns: string[] = [];
  let next: string | undefined;
  do {
    const page = await sns.send(new ListTopicsCommand({ NextToken: next }));
    for (const topic of page.Topics ?? []) if (topic.TopicArn) arns.push(topic.TopicArn);
    next = page.NextToken;
  } while (next);
  return arns;
}

async function applyQueue(
  sqs: SQSClient,
  name: string,
  desired: Record<string, string>,
): Promise<{ url: string; arn: string; action: ApplyAction }> {
  let url: string | undefined;
  try {
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    if (!(error instanceof QueueDoesNotExist) && (error as Error).name !== "QueueDoesNotExist") {
      throw error;
    }
  }
  if (!url) {
    const created = await sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: desired }),
    );
    const createdUrl = created.QueueUrl ?? "";
    return { url: createdUrl, arn: await queueArn(sqs, createdUrl), action: "created" };
  }
  const current: Record<string, string | undefined> =
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] })))
      .Attributes ?? {};
  const drift = Object.fromEntries(
    Object.entries(desired).filter(([key, value]) => !sameAttribute(current[key], value)),
  );
  if (Object.keys(drift).length > 0) {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: drift }));
  }
  return {
    url,
    arn: current.QueueArn ?? (await queueArn(sqs, url)),
    action: Object.keys(drift).length > 0 ? "updated" : "unchanged",
  };
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  return attributes.Attributes?.QueueArn ?? "";
}

async function applySubscription(
  sns: SNSClient,
  topicArn: string,
  queueArn: string,
  desired: Record<string, string>,
): Promise<{ arn: string; action: ApplyAction }> {
  let existing: string | undefined;
  let next: string | undefined;
  do {
    const page = await sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: next }),
    );
    existing = page.Subscriptions?.find(
      (s) => s.Protocol === "sqs" && s.Endpoint === queueArn,
    )?.SubscriptionArn;
    next = existing ? undefined : page.NextToken;
  } while (next);
  if (!existing) {
    const created = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: "sqs",
        Endpoint: queueArn,
        Attributes: desired,
        ReturnSubscriptionArn: true,
      }),
    );
    return { arn: created.SubscriptionArn ?? "", action: "created" };
  }
  const current =
    (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: existing })))
      .Attributes ?? {};
  let updated = false;
  for (const [name, value] of Object.entries(desired)) {
    if (!sameAttribute(current[name], value)) {
      await sns.send(
        new SetSubscriptionAttributesCommand({
          SubscriptionArn: existing,
          AttributeName: name,
          AttributeValue: value,
        }),
      );
      updated = true;
    }
  }
  return { arn: existing, action: updated ? "updated" : "unchanged" };
}

/** Compares attribute values as AWS returns them: JSON documents by content, numbers as text. */
function sameAttribute(current: string | undefined, desired: string): boolean {
  if (current === desired) return true;
  if (current === undefined) return false;
  try {
    return canonicalJson(JSON.parse(current)) === canonicalJson(JSON.parse(desired));
  } catch {
    return false;
  }
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a.localeCompare(b),
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  // AWS returns maxReceiveCount as a number or a string depending on the endpoint.
  return typeof value === "number" ? JSON.stringify(String(value)) : JSON.stringify(value);
}

/** The broker's answer that a queue or topic does not exist (as opposed to no answer at all). */
function isNotFound(error: unknown): boolean {
  const name = (error as Error | undefined)?.name ?? "";
  return (
    error instanceof QueueDoesNotExist ||
    name === "QueueDoesNotExist" ||
    name === "AWS.SimpleQueueService.NonExistentQueue" ||
    name === "NotFound" ||
    name === "NotFoundException"
  );
}

/**
 * Finds the queues and topics of a topology without creating or changing anything: what a
 * process does where infrastructure owns the queues (it then needs no CreateQueue, Subscribe or
 * ListTopics permission). Every missing queue or topic is named in one error.
 */
export async function resolveTopology(
  clients: { sqs: SQSClient; sns: SNSClient },
  topology: Topology,
): Promise<ResolvedTopology> {
  const queueUrls: Record<string, string> = {};
  const queueArns: Record<string, string> = {};
  const topicArns: Record<string, string> = {};
  const missing: string[] = [];
  // Failures that are not the broker saying "no such queue or topic": a broker that is down must
  // not be reported as a missing topology (it sends the operator the wrong way).
  const unanswered: unknown[] = [];
  for (const queue of topology.queues) {
    try {
      const url = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: queue.name })))
        .QueueUrl;
      if (!url) {
        throw TopologyErrors.create(
          TopologyErrorCode.lookupFailed,
          `GetQueueUrl answered no URL for ${queue.name}`,
        );
      }
      queueUrls[queue.name] = url;
      queueArns[queue.name] = await queueArn(clients.sqs, url);
    } catch (error) {
      if (!isNotFound(error)) unanswered.push(error);
      missing.push(`queue ${queue.name} (${(error as Error).name}: ${(error as Error).message})`);
    }
  }
  // A topic's ARN is the queue ARN's region and account with the topic's name; checking it with
  // GetTopicAttributes needs a permission on that one topic, where ListTopics would need "*".
  const someQueueArn = Object.values(queueArns)[0];
  for (const topic of topology.topics) {
    const parts = someQueueArn?.split(":");
    if (!parts || parts.length < 6) {
      missing.push(`topic ${topic.name} (no queue ARN to derive its ARN from)`);
      continue;
    }
    const arn = `arn:${parts[1]}:sns:${parts[3]}:${parts[4]}:${topic.name}`;
    try {
      await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
      topicArns[topic.name] = arn;
    } catch (error) {
      if (!isNotFound(error)) unanswered.push(error);
      missing.push(`topic ${arn} (${(error as Error).name}: ${(error as Error).message})`);
    }
  }
  const [first] = unanswered;
  if (first !== undefined) {
    throw TopologyErrors.create(
      TopologyErrorCode.lookupFailed,
      `Looking up the topology "${topology.prefix}" failed: ${(first as Error).name}: ${(first as Error).message}. Check AWS_ENDPOINT_URL (or the AWS region and credentials) and that the broker answers.`,
      { prefix: topology.prefix },
      { cause: first },
    );
  }
  if (missing.length > 0) {
    throw TopologyErrors.create(
      TopologyErrorCode.missing,
      `The topology "${topology.prefix}" is not in place: ${missing.join("; ")}. It is owned by the infrastructure: deploy infra/ (CDK), run \`topology apply\`, or set SAGAWORKS_APPLY_TOPOLOGY=true in development.`,
      { prefix: topology.prefix, missing },
    );
  }
  return { queueUrls, queueArns, topicArns };
}
