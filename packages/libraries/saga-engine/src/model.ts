// The engine's data: the snapshot of one saga instance, the events that move it, and the effects
// it asks the I/O shell to carry out. All of it is plain JSON, so the orchestrator stores it as is.
import type { FailureInfo, JsonValue } from "@sagaworks/saga-definition";
import type { EngineRefusalCode } from "./errors.ts";

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
  /**
   * An await step's correlation key (`<service>:<key>`), once its wait opened: kept after the
   * wait closed, so that an event arriving later is known to be late for this saga.
   */
  waitKey?: string;
  /**
   * A sub-saga step whose child answered a compensation request with "completed": it had passed
   * its pivot and cannot undo itself, so the step's own compensation command runs next.
   */
  childEnded?: boolean;
  /**
   * A sub-saga step parked while its child ran: the child's end that reached the parked saga
   * (which waits for an operator and applies no answer). From then on the child of that attempt
   * is known to have ended, so an operator's retry may start a new one.
   */
  childAnswer?: { attempt: number; reply: string };
}

/**
 * The parent of a saga started as a child by a sub-saga step, and the parent's command its end
 * answers: the start, or a later request to compensate. The answer is a reply like any other,
 * so the parent matches it by step, attempt and causation id.
 */
export interface ParentLink {
  sagaId: string;
  sagaName: string;
  sagaVersion: number;
  step: string;
  /** The parent's command the child's end answers. */
  answer: { attempt: number; compensation: boolean; commandId: string };
}

/** The outside event an await step waits for: who sends it, on which key, which events count. */
export interface OpenWait {
  /** The service (outside system) whose events the step waits for. */
  service: string;
  /** The correlation key, as text: the value of the step's correlation path. */
  key: string;
  /** Events the step classifies (success and business failure), sorted. */
  events: string[];
  /** When the deadline passes. */
  deadlineAt: string;
}

/**
 * What a running saga waits on for one step: a reply (with its timeout), a retry timer, or an
 * outside event (with its deadline).
 */
export interface PendingWork {
  step: string;
  compensation: boolean;
  attempt: number;
  /** Attempts before this number belong to an earlier budget (an operator's retry resets it). */
  attemptBase: number;
  /**
   * `event`: an await step's open wait for an outside event. `operator`: a compensation in a
   * parallel branch that ran out of attempts, waiting for an operator while the other branches
   * finish.
   */
  waitingFor: "reply" | "retry-timer" | "event" | "operator";
  /** The timer that will wake the saga if nothing else does. */
  timerId: string;
  idempotencyKey: string;
  /**
   * The message id of the command sent for this attempt: a reply must name it as its
   * `causationId`. Absent for HTTP calls, and in snapshots written before it was recorded
   * (their replies are matched by step and attempt alone).
   */
  commandId?: string;
  /** Set while an await step waits for its event (`waitingFor: "event"`). */
  wait?: OpenWait;
  /**
   * The steps whose commands ride along with this one, in order (see chain.ts): their
   * participants send them, so any of them may have run while the saga waits on this step.
   * Absent when the command went alone.
   */
  chain?: string[];
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
  /** Set when a parent saga started this one; absent otherwise (and in older snapshots). */
  parent?: ParentLink;
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
  | { action: "resolve"; expected?: OperatorExpectation }
  /** Completes a wait by hand, as if `event` had arrived with `payload` (its outcome applies). */
  | { action: "complete-wait"; event: string; payload: JsonValue; expected: OperatorExpectation }
  /** Opens again a wait whose deadline passed and parked the saga, with a fresh deadline. */
  | { action: "reopen-wait"; expected: OperatorExpectation };

/** Everything that can move a saga. */
export type SagaEvent =
  | { type: "start"; sagaId: string; input: JsonValue; parent?: ParentLink }
  | {
      /**
       * The parent that started this saga is compensating and asks it to undo itself: before
       * its pivot it compensates at once; past it, it runs on and its end answers the request.
       */
      type: "parent-compensate";
      /** The parent's `CompensateSaga` command: its attempt and message id, which the answer names. */
      attempt: number;
      commandId: string;
    }
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
      /**
       * True for an answer a chain carried: its participant sent the chain's next command
       * itself, so the engine does not send it again (see chain.ts).
       */
      forwarded?: boolean;
    }
  | { type: "http-response"; step: string; attempt: number; status: number; body: JsonValue }
  | { type: "http-failure"; step: string; attempt: number; code: string; message: string }
  | {
      /** An event another system sent (by HTTP or the events topic), for an await step. */
      type: "outside-event";
      /** The event's own id: a second delivery with it is a duplicate. */
      eventId: string;
      /** The service that declares it, and its name, e.g. `PaymentCaptured`. */
      service: string;
      name: string;
      /** The value of the event's correlation field, as text. */
      key: string;
      payload: JsonValue;
    }
  | TimerEvent
  | ({ type: "operator"; actor: string; reason: string } & OperatorAction)
  | {
      /** One of the saga's outbox messages can never be sent; the orchestrator parked it. */
      type: "outbox-parked";
      outboxId: string;
      /** Why it cannot be sent (the broker's refusal, or its size). */
      reason: string;
    };

/** Lifecycle event names published on the saga-events topic. */
export const LifecycleEvent = {
  started: "saga.started",
  stepCompleted: "saga.step.completed",
  stepFailed: "saga.step.failed",
  stepRetrying: "saga.step.retrying",
  stepNotTaken: "saga.step.not-taken",
  stepWaiting: "saga.step.waiting",
  eventLate: "saga.event.late",
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
      /** The commands its participants send after this one (see chain.ts); absent when none. */
      chain?: ChainLinkEffect[];
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
  | { type: "finish"; status: SagaStatus }
  | {
      /**
       * A child's end (or its standing, when asked to compensate after it ended), as a reply to
       * the parent's pending command: `SagaCompleted` with its declared output, or
       * `SagaCompensated` / `SagaFailed` with its failure.
       */
      type: "answer-parent";
      parent: ParentLink;
      reply: string;
      payload: JsonValue;
    };

/**
 * A command that rides along with another and is sent by the participant before it, when that
 * one's reply is one of `after`. Its payload is what the orchestrator knew when it sent the
 * first, with `holes` for the values that come from the replies of the chain's earlier steps.
 */
export interface ChainLinkEffect {
  step: string;
  service: string;
  command: string;
  idempotencyKey: string;
  messageId: string;
  after: string[];
  payload: Record<string, JsonValue>;
  holes: Array<{ at: Array<string | number>; step: string; path: Array<string | number> }>;
}

/** The clock and the random source: passed in, so tests control time and chance. */
export interface TransitionContext {
  now: Date;
  /** Uniform in [0, 1); used for jitter. */
  random: () => number;
  /**
   * Correlation keys (`<service>:<key>`) other sagas already wait on. An await step that would
   * open a wait on one fails instead (two sagas cannot wait on one key). The shell fills it when
   * it sees a wait open on a taken key, and applies the event again.
   */
  heldWaitKeys?: ReadonlySet<string>;
  /**
   * Send the command steps that can follow one another as one chain (see chain.ts). Off unless
   * the shell turns it on: every participant must be one that knows chains (one that does not
   * refuses the command, since its signature covers fields it cannot read).
   */
  chainSteps?: boolean;
  /**
   * The most a chained command's payload and links may take in a message (see chain.ts's
   * `encodedSizeBound`); the shell sets it from its transport's limit. A link past it is left
   * out, and the orchestrator sends that command itself later. Undefined: no bound.
   */
  chainMaxBytes?: number | undefined;
}

/** What `transition` returns. */
export interface TransitionResult {
  snapshot: SagaSnapshot;
  effects: Effect[];
  /** False when the event changed nothing (late, duplicate or stale); the snapshot is the input. */
  applied: boolean;
  /** Set when an operator action is refused; the snapshot is unchanged. */
  refused?: { code: EngineRefusalCode; message: string };
  /** One line for the history: what happened and why. */
  note: string;
}

/**
 * The one piece of work a saga waits on, or null when it waits on none. While a parallel group
 * runs there is one per branch, and this is the first of them: name the step to read the others.
 * Generic over the entry, so a client's view of the pending map (the API's JSON) asks it too.
 */
export function activeWork<Work = PendingWork>(snapshot: {
  readonly pending: Readonly<Record<string, Work>>;
}): Work | null {
  for (const work of Object.values(snapshot.pending)) return work;
  return null;
}
