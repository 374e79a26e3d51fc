// Waiting for an outside event (`await` steps): opening the wait when the step is reached, the
// event arriving (success or business failure, by the step's outcomes), the deadline passing, and
// an operator completing a wait by hand or opening it again. Every wait is one attempt of its
// step: re-opening is a new attempt with a fresh deadline, so a late deadline timer of the old
// one is stale like any other.
import {
  type CompiledStep,
  evaluateMapping,
  type JsonValue,
  stepStateId,
} from "@sagaworks/saga-definition";
import { EngineRefusalCode } from "./errors.ts";
import { actionKey, isTerminal, timerId } from "./keys.ts";
import {
  LifecycleEvent,
  type OpenWait,
  type PendingWork,
  type SagaEvent,
  SagaStatus,
  type TransitionResult,
} from "./model.ts";
import { isJsonObject, messageOf } from "./replies.ts";
import type { Run } from "./run.ts";

/** Failure codes of a wait, as the saga's `failure.code` and the history show them. */
export const AwaitFailureCode = {
  /** The deadline passed with no event. */
  deadlinePassed: "AWAIT_DEADLINE_PASSED",
  /** The correlation path held no string or integer when the step was reached. */
  keyMissing: "AWAIT_KEY_MISSING",
  /** Another saga already waits on the same key. */
  keyTaken: "AWAIT_KEY_TAKEN",
} as const;

/** The key other sagas' waits are told apart by: the service, then the correlation value. */
export function scopedWaitKey(service: string, key: string): string {
  return `${service}:${key}`;
}

/** Opens the wait of an await step: reads its key, arms its deadline, and waits. */
export function openWait(run: Run, step: CompiledStep, attempt: number, attemptBase: number): void {
  if (step.action.kind !== "await") return;
  const record = run.record(step.name);
  record.status = "running";
  record.attempts = attempt;
  const value = evaluateMapping(step.action.correlation, run.mappingContext());
  const keyed = typeof value === "string" || (typeof value === "number" && Number.isInteger(value));
  if (!keyed || String(value) === "") {
    run.setPending(null);
    run.stepFailed(
      step,
      "non-retryable",
      AwaitFailureCode.keyMissing,
      `the correlation key of ${step.name} is ${JSON.stringify(value ?? null)}, not a string or an integer, so no event could ever be matched`,
    );
    return;
  }
  const key = String(value);
  if (run.context.heldWaitKeys?.has(scopedWaitKey(step.service, key))) {
    run.setPending(null);
    run.stepFailed(
      step,
      "non-retryable",
      AwaitFailureCode.keyTaken,
      `another saga already waits for ${step.service} events on key "${key}"; two sagas cannot wait on one key`,
    );
    return;
  }
  record.waitKey = scopedWaitKey(step.service, key);
  const deadlineAt = new Date(run.context.now.getTime() + step.timeoutMs).toISOString();
  const deadlineTimer = timerId(run.s.sagaId, "timeout", step.name, attempt, false);
  run.effects.push({
    type: "schedule-timer",
    timerId: deadlineTimer,
    fireAt: deadlineAt,
    event: { type: "step-timeout", step: step.name, attempt, compensation: false },
  });
  const wait: OpenWait = {
    service: step.service,
    key,
    events: [...step.outcomes.success, ...step.outcomes.businessFailure].sort(),
    deadlineAt,
  };
  run.setPending({
    step: step.name,
    compensation: false,
    attempt,
    attemptBase,
    waitingFor: "event",
    timerId: deadlineTimer,
    idempotencyKey: actionKey(run.s.sagaId, step.name),
    wait,
  });
  run.publish(LifecycleEvent.stepWaiting, step.name, {
    service: wait.service,
    key,
    events: wait.events,
    deadlineAt,
  });
}

/** The open wait the saga has, when it is running and waits for an event. */
function openWaitOf(run: Run): (PendingWork & { wait: OpenWait }) | undefined {
  if (isTerminal(run.s.status) || run.s.status !== SagaStatus.running) return undefined;
  const pending = run.pendingWork();
  if (pending?.waitingFor !== "event" || !pending.wait) return undefined;
  return pending as PendingWork & { wait: OpenWait };
}

/** Applies the outcome an event means for the waiting step: success or business failure. */
function eventOutcome(
  run: Run,
  step: CompiledStep,
  name: string,
  payload: JsonValue,
  note: string,
): TransitionResult {
  if (step.outcomes.success.includes(name)) return run.stepSucceeded(step, payload, note);
  // Outside systems word their refusals as they like: a `message`, else a `reason`, else the name.
  const reason =
    isJsonObject(payload) && typeof payload.reason === "string" ? payload.reason : name;
  return run.stepFailed(step, "business-failure", name, messageOf(payload, reason));
}

/**
 * An outside event. It applies only to the open wait it correlates with (service, key, and an
 * event the step classifies); anything else is late: the wait already had its outcome (an
 * event, its deadline, an operator) or was never opened by this saga. Late events change nothing.
 */
export function outsideEventReceived(
  run: Run,
  event: Extract<SagaEvent, { type: "outside-event" }>,
): TransitionResult {
  const open = openWaitOf(run);
  const what = `event ${event.name} ${event.eventId} (key "${event.key}")`;
  if (
    !open ||
    open.wait.service !== event.service ||
    open.wait.key !== event.key ||
    !open.wait.events.includes(event.name)
  ) {
    const now = open
      ? `it waits for ${open.wait.events.join(" | ")} on key "${open.wait.key}" at ${open.step}`
      : run.s.status === SagaStatus.running || run.s.status === SagaStatus.compensating
        ? "it waits for no event"
        : `the saga is ${run.s.status}`;
    return run.ignore(`${what} late, not applied: ${now}`);
  }
  const step = run.step(open.step);
  return eventOutcome(run, step, event.name, event.payload, `${step.name} received ${what}`);
}

/** The deadline of the open wait passed: the step fails, and the compiled deadline edge follows. */
export function waitDeadlinePassed(
  run: Run,
  event: Extract<SagaEvent, { type: "step-timeout" }>,
): TransitionResult {
  const open = openWaitOf(run);
  if (!open || open.step !== event.step || open.attempt !== event.attempt || event.compensation) {
    return run.ignore(run.staleNote("deadline", event.step, event.attempt, event.compensation));
  }
  const step = run.step(open.step);
  // The timer fired, so it needs no cancelling.
  run.setPending({ ...open, timerId: "" });
  const record = run.record(step.name);
  record.status = "failed";
  const message = `no ${open.wait.events.join(" or ")} for key "${open.wait.key}" within ${step.timeoutMs} ms`;
  record.lastError = { code: AwaitFailureCode.deadlinePassed, message };
  run.s.failure = {
    step: step.name,
    kind: "deadline",
    code: AwaitFailureCode.deadlinePassed,
    message,
  };
  run.publish(LifecycleEvent.stepFailed, step.name, { failure: run.failureJson() });
  run.enterState(run.stepState(step.name).onExhausted);
  return run.done(`${step.name}: deadline passed with no event`);
}

/** Whether the pending work is an await step's wait (open, or parked after its deadline). */
export function isWait(run: Run, pending: PendingWork | null): pending is PendingWork {
  return (
    pending !== null && !pending.compensation && run.step(pending.step).action.kind === "await"
  );
}

/** An operator completes a wait by hand with the event they name and its payload. */
export function completeWaitByHand(
  run: Run,
  pending: PendingWork,
  event: { event: string; payload: JsonValue },
  who: string,
): TransitionResult {
  const step = run.step(pending.step);
  const classified = [...step.outcomes.success, ...step.outcomes.businessFailure];
  if (!classified.includes(event.event)) {
    return run.refuse(
      EngineRefusalCode.eventNotWaitedFor,
      `Cannot complete ${step.name} with ${event.event}: it waits for ${classified.join(" | ")}.`,
    );
  }
  if (!isJsonObject(event.payload)) {
    return run.refuse(
      EngineRefusalCode.eventPayloadInvalid,
      `Complete ${step.name} with the event's payload as an object: later steps read it as $.steps.${step.name}.event.`,
    );
  }
  const parked = run.s.status === SagaStatus.needsIntervention;
  run.cancelPendingTimer(pending.step);
  run.s.status = SagaStatus.running;
  run.s.failure = null;
  if (parked) run.rearmDeadline();
  return eventOutcome(
    run,
    step,
    event.event,
    event.payload,
    `${who}; ${step.name} completed by hand with ${event.event}`,
  );
}

/** An operator opens again a wait that its deadline closed (the saga is parked). */
export function reopenWait(run: Run, pending: PendingWork, who: string): TransitionResult {
  if (run.s.status !== SagaStatus.needsIntervention) {
    return run.refuse(
      EngineRefusalCode.waitStillOpen,
      `Cannot re-open ${pending.step}: its wait is still open (until ${pending.wait?.deadlineAt ?? "its deadline"}). Complete it by hand, or let it run.`,
    );
  }
  run.s.status = SagaStatus.running;
  run.s.failure = null;
  run.s.state = stepStateId(pending.step);
  run.startAttempt(pending.step, false, pending.attempt + 1, pending.attempt);
  run.rearmDeadline();
  return run.done(`${who}; wait of ${pending.step} re-opened (attempt ${pending.attempt + 1})`);
}
