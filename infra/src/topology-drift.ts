import type { Topology } from "@sagaworks/topology";

interface TemplateJson {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/**
 * Compares a synthesized template with a topology and lists every difference: a queue or topic
 * on one side only, a different maxReceiveCount or DLQ. Empty means the stack builds exactly the
 * queues the code expects. The infra tests fail on any difference.
 */
export function topologyDrift(template: TemplateJson, topology: Topology): string[] {
  const resources = template.Resources ?? {};
  const queues = new Map<string, { logicalId: string; properties: Record<string, unknown> }>();
  const topics = new Set<string>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    const properties = resource.Properties ?? {};
    if (resource.Type === "AWS::SQS::Queue") {
      queues.set(String(properties.QueueName), { logicalId, properties });
    }
    if (resource.Type === "AWS::SNS::Topic") topics.add(String(properties.TopicName));
  }
  const nameOfLogicalId = new Map([...queues].map(([name, q]) => [q.logicalId, name]));
  const problems: string[] = [];
  for (const spec of topology.queues) {
    const queue = queues.get(spec.name);
    if (!queue) {
      problems.push(`queue ${spec.name} is in the topology, not in the stack`);
      continue;
    }
    const redrive = queue.properties.RedrivePolicy as
      | { deadLetterTargetArn?: { "Fn::GetAtt"?: [string, string] }; maxReceiveCount?: number }
      | undefined;
    const dlq = redrive?.deadLetterTargetArn?.["Fn::GetAtt"]?.[0];
    const dlqName = dlq ? nameOfLogicalId.get(dlq) : undefined;
    if (dlqName !== spec.deadLetterQueue) {
      problems.push(
        `queue ${spec.name}: its DLQ is ${dlqName ?? "none"} in the stack, ${spec.deadLetterQueue ?? "none"} in the topology`,
      );
    }
    if (redrive?.maxReceiveCount !== spec.maxReceiveCount) {
      problems.push(
        `queue ${spec.name}: maxReceiveCount is ${redrive?.maxReceiveCount ?? "unset"} in the stack, ${spec.maxReceiveCount ?? "unset"} in the topology`,
      );
    }
    for (const [attribute, property] of [
      ["VisibilityTimeout", "VisibilityTimeout"],
      ["MessageRetentionPeriod", "MessageRetentionPeriod"],
      ["ReceiveMessageWaitTimeSeconds", "ReceiveMessageWaitTimeSeconds"],
    ] as const) {
      const wanted = spec.attributes[attribute];
      const actual = queue.properties[property];
      if (wanted !== undefined && String(actual) !== wanted) {
        problems.push(
          `queue ${spec.name}: ${attribute} is ${actual} in the stack, ${wanted} in the topology`,
        );
      }
    }
  }
  const wantedQueues = new Set(topology.queues.map((q) => q.name));
  for (const name of queues.keys()) {
    if (!wantedQueues.has(name))
      problems.push(`queue ${name} is in the stack, not in the topology`);
  }
  for (const topic of topology.topics) {
    if (!topics.has(topic.name))
      problems.push(`topic ${topic.name} is in the topology, not in the stack`);
  }
  for (const name of topics) {
    if (!topology.topics.some((t) => t.name === name)) {
      problems.push(`topic ${name} is in the stack, not in the topology`);
    }
  }
  return problems;
}
