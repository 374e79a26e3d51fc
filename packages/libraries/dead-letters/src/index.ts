export {
  type Classified,
  classify,
  type Group,
  groupKey,
  groupMessages,
  type PendingSummary,
  type PrunedSaga,
  type SagaState,
  sagaIdToLookUp,
  Verdict,
} from "./classify.ts";
export { type DlqMessage, type EnvelopeFacts, envelopeFacts, toDlqMessage } from "./message.ts";
export { type PeekOptions, peekMessages, receiveBatch, releaseMessages } from "./peek.ts";
export {
  classifiedFields,
  dryRunOutcome,
  type PlanLine,
  type PlanOptions,
  planLine,
  planReplay,
  type ReplayFilter,
  replayable,
  selected,
} from "./plan.ts";
export {
  type DeadLetterQueue,
  deadLetterQueues,
  findDeadLetterQueue,
  queueStats,
} from "./queues.ts";
export {
  type DeadLetterQueueSummary,
  type DeadLetterQueueView,
  DeadLetterReader,
  type DeadLetterReaderDeps,
  READ_VISIBILITY_SECONDS,
  type ReadOutcome,
} from "./reader.ts";
export {
  buildReport,
  type DeadLetterReport,
  type JoinedSaga,
  MESSAGES_PER_GROUP,
  OPS_COMMAND,
  type PlanCounts,
  type ReportGroup,
  type ReportInput,
  type ReportMessage,
} from "./report.ts";
