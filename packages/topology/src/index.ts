export {
  type ApplyAction,
  type ApplyReport,
  applyTopology,
  type ResolvedTopology,
} from "./apply.ts";
export {
  commandQueueName,
  deadLetterQueueName,
  deriveTopology,
  eventQueueName,
  eventsTopicName,
  QueueRole,
  type QueueSpec,
  replyQueueName,
  type SubscriptionSpec,
  type TopicSpec,
  type Topology,
  type TopologyInput,
  topologyInputSchema,
} from "./derive.ts";
export { TopologyError, TopologyErrorCode } from "./errors.ts";
