export { AwaitFailureCode, scopedWaitKey } from "./await.ts";
export { backoffDelayMs } from "./backoff.ts";
export { type ChainLimits, chainAfter, encodedSizeBound, MAX_CHAINED } from "./chain.ts";
export {
  type EngineError,
  EngineErrorCode,
  EngineErrors,
  EngineRefusalCode,
  EngineRefusals,
} from "./errors.ts";
export {
  activeWork,
  type ChainLinkEffect,
  type Effect,
  type FailureInfo,
  LifecycleEvent,
  type OpenWait,
  type OperatorAction,
  type OperatorExpectation,
  type ParentLink,
  type PendingWork,
  type PivotOutcome,
  SAGA_STATUSES,
  type SagaEvent,
  type SagaSnapshot,
  SagaStatus,
  type StepRecord,
  type StepStatus,
  TERMINAL_STATUSES,
  type TimerEvent,
  type TransitionContext,
  type TransitionResult,
} from "./model.ts";
export { OUTBOX_UNDELIVERABLE } from "./outbox-parking.ts";
export {
  actionKey,
  commandMessageId,
  compensationKey,
  deadlineTimerId,
  fillPath,
  isTerminal,
  transition,
} from "./transition.ts";
