// The engine's data: the snapshot of one saga instance, the events that move it, and the effects
// it asks the I/O shell to carry out. All of it is plain JSON, so the orchestrator stores it as is.
import type { FailureInfo, JsonValue } from "@sagaworks/saga-definition";

/** Where an instance is. `needs-intervention` is parked: only an operator moves it on. */
export const SagaStatus = {
  running: "running",
  compensating: "compensating",
  completed: "completed",
  compensated: "compensated",
  failed: "failed",
  needsIntervention: "needs-intervention",
  resolved: "resolved",
} as const;
export type SagaStatus = (typeof SagaStatus)[keyof typeof SagaStatus];
/** Every status, in lifecycle order (for enums in schemas and CLI checks). */
export const SAGA_STATUSES = Object.values(SagaStatus) as [SagaStatus, ...SagaStatus[]];

/** Statuses that never change again. */
export const TERMINAL_STATUSES: readonly SagaStatus[] = [
  SagaStatus.completed,
  SagaStatus.compensated,
  SagaStatus.failed,
  SagaStatus.resolved,
];

/** What happened to one step so far. */
export type StepStatus =
  | "pending"
  | "running"
  | "succeeded"
  | "skipped"
  /** Its condition was false when the saga reached it: it never ran, and is never compensated. */
  | "not-taken"
  | "failed"
  | "compensating"
  | "compensated";

/** One step's record in the snapshot. */
export interface StepRecord {
  status: StepStatus;
  /** Forward attempts started. */
  attempts: number;
  /** Compensation attempts started. */
  compensationAttempts: number;
  /** Success reply payload (command) or `{ status, body }` (HTTP); what later steps map from. */
  output: JsonValue | null;
  lastError: { code: string; message: string } | null;
  /**
   * True once the action's success reply (or response) arrived: the action ran at its
   * participant. A compensation says so in its command, so that the participant need not
   * remember it (its inbox forgets after its retention window). Absent in older snapshots.
   */
  actionConfirmed?: boolean;
}

/** What a running saga waits on for one step: a reply (with its timeout) or a retry timer. */
export interface PendingWork {
  step: string;
  compensation: boolean;
  attempt: number;
  /** Attempts before this number belong to an earlier budget (an operator's retry resets it). */
  attemptBase: number;
  /**
   * `operator`: a compensation in a parallel branch that ran out of attempts, waiting for an
   * operator while the other branches finish.
   */
  waitingFor: "reply" | "retry-timer" | "operator";
  /** The timer that will wake the saga if nothing else does. */
  timerId: string;
  idempotencyKey: string;
  /**
   * The message id of the command sent for this attempt: a reply must name it as its
   * `causationId`. Absent for HTTP calls, and in snapshots written before it was recorded
   * (their replies are matched by step and attempt alone).
   */
  commandId?: string;
}

/** Why compensation started, or why the saga stopped. Compensations can map from it. */
export type { FailureInfo };

/** The whole state of one saga instance. */
export interface SagaSnapshot {
  sagaId: string;
  sagaName: string;
  sagaVersion: number;
  /** The compiled definition's hash: an instance runs on the definition it started with. */
  sagaHash: string;
  status: SagaStatus;
  /** Id of the compiled state the saga is in (`step:x`, `compensate:x`, or a final state). */
  state: string;
  input: JsonValue;
  steps: Record<string, StepRecord>;
  /**
   * What the saga waits on, by step; empty when terminal. Kept in needs-intervention for
   * `retry`. Steps on the forward line run one at a time, so it holds one entry there (see
   * `activeWork`); while a parallel group runs or unwinds, each branch holds its own.
   */
  pending: Record<string, PendingWork>;
  failure: FailureInfo | null;
  /** True once the pivot succeeded: from then on nothing is compensated. */
  pivotPassed: boolean;
  deadlineAt: string | null;
  startedAt: string;
  updatedAt: string;
  /** Transitions applied so far; the history's sequence number. */
  seq: number;
}

/** Events a timer delivers when it fires. */
export type TimerEvent =
  | { type: "step-timeout"; step: string; attempt: number; compensation: boolean }
  | { type: "retry-timer"; step: string; attempt: number; compensation: boolean }
  | { type: "saga-deadline" };

/**
 * What an operator saw the saga wait on when they chose an action. The action applies only if
 * the saga still waits on exactly that; otherwise it is refused (`SAGA_MOVED_ON`), so an action
 * meant for one step never lands on the next after the saga moved on.
 */
export interface OperatorExpectation {
  step: string;
  attempt: number;
  compensation: boolean;
}

/**
 * What an operator states about the pivot when compensating while its outcome is unknown: that
 * its effect is not in place and never will be (they checked its participant). Without it such
 * a compensation is refused, since the pivot has no compensation to undo a late effect.
 */
export type PivotOutcome = "not-applied";

/** Operator actions; each carries who did it and why, and what the operator expects. */
export type OperatorAction =
  | { action: "retry"; expected: OperatorExpectation }
  | { action: "skip"; output: JsonValue; expected: OperatorExpectation }
  | { action: "compensate"; expected: OperatorExpectation; pivotOutcome?: PivotOutcome }
  | { action: "resolve"; expected?: OperatorExpectation };

/** Everything that can move a saga. */
export type SagaEvent =
  | { type: "start"; sagaId: string; input: JsonValue }
  | {
      type: "reply";
      step: string;
      attempt: number;
      compensation: boolean;
      /** The reply's name, e.g. `CreditReserved`. */
      name: string;
      payload: JsonValue;
      /**
       * The message id of the command answered; a reply applies only if it names the pending
       * command (when the snapshot recorded one).
       */
      causationId?: string;
    }
  | { type: "http-response"; step: string; attempt: number; status: number; body: JsonValue }
  | { type: "http-failure"; step: string; attempt: number; code: string; message: string }
  | TimerEvent
  | ({ type: "operator"; actor: string; reason: string } & OperatorAction);

/** Lifecycle event names published on the saga-events topic. */
export const LifecycleEvent = {
  started: "saga.started",
  stepCompleted: "saga.step.completed",
  stepFailed: "saga.step.failed",
  stepRetrying: "saga.step.retrying",
  stepNotTaken: "saga.step.not-taken",
  stepCompensated: "saga.step.compensated",
  completed: "saga.completed",
  compensated: "saga.compensated",
  failed: "saga.failed",
  needsIntervention: "saga.needs-intervention",
  resolved: "saga.resolved",
  deadlinePassed: "saga.deadline-passed",
} as const;
export type LifecycleEvent = (typeof LifecycleEvent)[keyof typeof LifecycleEvent];

/** What the engine asks the I/O shell to do. */
export type Effect =
  | {
      type: "send-command";
      service: string;
      command: string;
      payload: JsonValue;
      step: string;
      attempt: number;
      compensation: boolean;
      /** Same for every attempt of a step (or of its compensation): the participant's dedupe key. */
      idempotencyKey: string;
      /** The command's message id, derived from the saga, key and attempt (see `commandMessageId`). */
      messageId: string;
      /**
       * On a compensation: true when the orchestrator got the action's success reply, so the
       * action ran whatever the participant's inbox still remembers. Absent on an action.
       */
      actionApplied?: boolean;
    }
  | {
      type: "call-http";
      service: string;
      method: string;
      /** Path with its parameters filled in and URI-encoded. */
      path: string;
      query: JsonValue | null;
      body: JsonValue | null;
      step: string;
      attempt: number;
      idempotencyKey: string;
      timeoutMs: number;
    }
  | { type: "schedule-timer"; timerId: string; fireAt: string; event: TimerEvent }
  | { type: "cancel-timer"; timerId: string }
  | { type: "publish-event"; name: LifecycleEvent; step: string | null; detail: JsonValue }
  | { type: "finish"; status: SagaStatus };

/** The clock and the random source: passed in, so tests control time and chance. */
export interface TransitionContext {
  now: Date;
  /** Uniform in [0, 1); used for jitter. */
  random: () => number;
}

/** What `transition` returns. */
export interface TransitionResult {
  snapshot: SagaSnapshot;
  effects: Effect[];
  /** False when the event changed nothing (late, duplicate or stale); the snapshot is the input. */
  applied: boolean;
  /** Set when an operator action is refused; the snapshot is unchanged. */
  refused?: { code: string; message: string };
  /** One line for the history: what happened and why. */
  note: string;
}

/**
 * The one piece of work a saga waits on, or null when it waits on none. While a parallel group
 * runs there is one per branch, and this is the first of them: name the step to read the others.
 */
export function activeWork(snapshot: Pick<SagaSnapshot, "pending">): PendingWork | null {
  for (const work of Object.values(snapshot.pending)) return work;
  return null;
}
