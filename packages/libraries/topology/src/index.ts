export {
  type ApplyAction,
  type ApplyReport,
  applyTopology,
  type ResolvedTopology,
  resolveTopology,
} from "./apply.ts";
export {
  commandQueueName,
  deadLetterQueueName,
  deriveTopology,
  type EventSubscriberInput,
  eventNamesRead,
  eventQueueName,
  eventsTopicName,
  outsideEventsQueueName,
  outsideEventsTopicName,
  QueueRole,
  type QueueSpec,
  replyQueueName,
  type SubscriptionSpec,
  type TopicSpec,
  type Topology,
  type TopologyInput,
  topologyInputSchema,
} from "./derive.ts";
export {
  DEFAULT_DEFINITIONS_DIR,
  environmentTopology,
  loadSagaDefinitions,
  participantsOf,
  SUB_SAGA_SERVICE,
  type TopologySettings,
  topologySettings,
  topologySettingsShape,
} from "./environment.ts";
export { type TopologyError, TopologyErrorCode, TopologyErrors } from "./errors.ts";
export { QueueProbe, type QueueProbeOptions } from "./queue-probe.ts";
