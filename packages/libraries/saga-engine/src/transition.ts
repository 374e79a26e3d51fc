// The saga semantics, as one pure function. Everything that happens to an instance goes through
// `transition`; the orchestrator only stores what it returns and carries out the effects. The
// semantics are split by concern: run.ts (the working copy: states, attempts, compensation),
// and the handlers this function dispatches to, answers.ts (replies, HTTP, timeouts), await.ts,
// retries.ts, deadline.ts, operator-actions.ts and parallel.ts. run.ts imports none of them; it
// reaches the step kinds through the hooks wired here.
import type { CompiledSaga } from "@sagaworks/saga-definition";
import { httpCallFailed, httpResponseReceived, replyReceived, stepTimedOut } from "./answers.ts";
import { openWait, outsideEventReceived, waitDeadlinePassed } from "./await.ts";
import { deadlinePassed, rearmDeadline } from "./deadline.ts";
import { EngineErrorCode, EngineErrors } from "./errors.ts";
import { deadlineTimerId } from "./keys.ts";
import {
  LifecycleEvent,
  type SagaEvent,
  type SagaSnapshot,
  SagaStatus,
  type StepRecord,
  type TransitionContext,
  type TransitionResult,
} from "./model.ts";
import { applyOperatorAction } from "./operator-actions.ts";
import { outboxMessageParked } from "./outbox-parking.ts";
import {
  branchCompensationExhausted,
  branchFailed,
  branchSteps,
  forkEntered,
  joinReached,
  unwindReached,
} from "./parallel.ts";
import { failAttempt, retryTimerFired } from "./retries.ts";
import { Run, type RunHooks } from "./run.ts";
import { answerParent, childCommand, parentCompensate } from "./sub-saga.ts";

export { commandMessageId } from "./command-id.ts";
export { dotSegmentPathParam, fillPath, unencodablePathParam } from "./http-path.ts";
export { actionKey, compensationKey, deadlineTimerId, isTerminal } from "./keys.ts";

/**
 * Applies one event to a saga instance. Pure and deterministic: the same compiled saga, snapshot,
 * event and context always give the same result. `snapshot` is null only for `start`.
 */
export function transition(
  compiled: CompiledSaga,
  snapshot: SagaSnapshot | null,
  event: SagaEvent,
  context: TransitionContext,
): TransitionResult {
  if (event.type === "start") {
    if (snapshot) return ignored(snapshot, "start: the saga has already started");
    return start(compiled, event, context);
  }
  if (!snapshot) {
    throw EngineErrors.create(
      EngineErrorCode.noSnapshot,
      `A ${event.type} event needs the saga's snapshot; only start creates one.`,
      { event: event.type },
    );
  }
  if (snapshot.sagaHash !== compiled.hash) {
    throw EngineErrors.create(
      EngineErrorCode.definitionMismatch,
      `Saga ${snapshot.sagaId} runs on ${snapshot.sagaName} v${snapshot.sagaVersion} (${snapshot.sagaHash}), not ${compiled.hash}. Load the definition the instance started with.`,
      { sagaId: snapshot.sagaId, expected: snapshot.sagaHash, given: compiled.hash },
    );
  }
  const run = new Run(compiled, snapshot, context, RUN_HOOKS);
  switch (event.type) {
    case "reply":
      return replyReceived(run, event);
    case "http-response":
      return httpResponseReceived(run, event);
    case "http-failure":
      return httpCallFailed(run, event);
    case "outside-event":
      return outsideEventReceived(run, event);
    // One of the saga's messages can never be sent (outbox-parking.ts).
    case "outbox-parked":
      return outboxMessageParked(run, event);
    case "step-timeout":
      return stepTimeoutFired(run, event);
    case "retry-timer":
      return retryTimerFired(run, event);
    case "saga-deadline":
      return deadlinePassed(run);
    case "operator":
      return applyOperatorAction(run, event);
    case "parent-compensate":
      return parentCompensate(run, event);
  }
}

/** An await step's timeout is its deadline: no retry, the compiled deadline edge. */
function stepTimeoutFired(
  run: Run,
  event: Extract<SagaEvent, { type: "step-timeout" }>,
): TransitionResult {
  const pending = run.s.pending;
  const work = Object.hasOwn(pending, event.step) ? pending[event.step] : undefined;
  if (work?.waitingFor === "event") return waitDeadlinePassed(run, event);
  return stepTimedOut(run, event);
}

const RUN_HOOKS: RunHooks = {
  openWait,
  branchSteps,
  forkEntered,
  joinReached,
  unwindReached,
  branchFailed,
  branchCompensationExhausted,
  failAttempt,
  rearmDeadline,
  childCommand,
  answerParent,
};

function ignored(snapshot: SagaSnapshot, note: string): TransitionResult {
  return { snapshot, effects: [], applied: false, note };
}

function start(
  compiled: CompiledSaga,
  event: Extract<SagaEvent, { type: "start" }>,
  context: TransitionContext,
): TransitionResult {
  const { sagaId, input } = event;
  const now = context.now.toISOString();
  const steps: Record<string, StepRecord> = {};
  for (const step of compiled.steps) {
    steps[step.name] = {
      status: "pending",
      attempts: 0,
      compensationAttempts: 0,
      output: null,
      lastError: null,
    };
  }
  const deadlineAt =
    compiled.timeoutMs === null
      ? null
      : new Date(context.now.getTime() + compiled.timeoutMs).toISOString();
  const snapshot: SagaSnapshot = {
    sagaId,
    sagaName: compiled.name,
    sagaVersion: compiled.version,
    sagaHash: compiled.hash,
    status: SagaStatus.running,
    state: compiled.initial,
    input,
    steps,
    pending: {},
    failure: null,
    pivotPassed: false,
    deadlineAt,
    startedAt: now,
    updatedAt: now,
    seq: 0,
    ...(event.parent ? { parent: structuredClone(event.parent) } : {}),
  };
  const run = new Run(compiled, snapshot, context, RUN_HOOKS);
  run.publish(LifecycleEvent.started, null, { input });
  if (deadlineAt) {
    run.effects.push({
      type: "schedule-timer",
      timerId: deadlineTimerId(sagaId),
      fireAt: deadlineAt,
      event: { type: "saga-deadline" },
    });
  }
  if (event.parent?.answer.compensation) {
    // The parent asked to compensate before its start arrived (or instead of it): nothing runs,
    // and the start that may still come finds this saga already ended.
    run.finish("compensated");
    return run.done(`started already compensated: parent ${event.parent.sagaId} is compensating`);
  }
  run.enterState(compiled.initial);
  return run.done("started");
}
