// Retries: a failed attempt backs off and is tried again under the step's (or compensation's)
// policy, or takes the exhausted edge once the budget is spent.
import type { CompiledRetryPolicy, CompiledStep } from "@sagaworks/saga-definition";
import { backoffDelayMs } from "./backoff.ts";
import { isTerminal, timerId } from "./keys.ts";
import {
  LifecycleEvent,
  type PendingWork,
  type SagaEvent,
  SagaStatus,
  type TransitionResult,
} from "./model.ts";
import type { Run } from "./run.ts";

/** A retriable failure of the pending attempt: back off and retry, or take the exhausted edge. */
export function failAttempt(
  run: Run,
  step: CompiledStep,
  compensation: boolean,
  code: string,
  message: string,
): TransitionResult {
  const pending = run.s.pending[step.name] as PendingWork;
  run.cancelPendingTimer(step.name);
  const record = run.record(step.name);
  record.lastError = { code, message };
  const policy: CompiledRetryPolicy = compensation
    ? (step.compensation?.retry as CompiledRetryPolicy)
    : step.retry;
  const used = pending.attempt - pending.attemptBase;
  if (policy.maxAttempts === null || used < policy.maxAttempts) {
    const delayMs = backoffDelayMs(policy, used, run.context.random);
    const next = pending.attempt + 1;
    const retryTimer = timerId(run.s.sagaId, "retry", step.name, next, compensation);
    run.effects.push({
      type: "schedule-timer",
      timerId: retryTimer,
      fireAt: new Date(run.context.now.getTime() + delayMs).toISOString(),
      event: { type: "retry-timer", step: step.name, attempt: next, compensation },
    });
    run.setPending({ ...pending, waitingFor: "retry-timer", timerId: retryTimer });
    run.publish(LifecycleEvent.stepRetrying, step.name, {
      attempt: next,
      delayMs,
      code,
      compensation,
    });
    return run.done(
      `${compensation ? "compensation of " : ""}${step.name} attempt ${pending.attempt} failed (${code}: ${message}); attempt ${next} in ${delayMs} ms`,
    );
  }
  run.setPending({ ...pending, timerId: "" });
  if (compensation) {
    run.publish(LifecycleEvent.stepFailed, step.name, { compensation: true, code, message });
    run.compensationExhausted(step);
    return run.done(
      `compensation of ${step.name} exhausted its ${policy.maxAttempts} attempts (${code})`,
    );
  }
  record.status = "failed";
  run.s.failure = { step: step.name, kind: "exhausted", code, message };
  run.publish(LifecycleEvent.stepFailed, step.name, { failure: run.failureJson() });
  run.enterFailureEdge(step, run.exhaustedEdge(step, pending));
  return run.done(
    `${step.name} exhausted its ${policy.maxAttempts} attempts (${code}: ${message})`,
  );
}

export function retryTimerFired(
  run: Run,
  event: Extract<SagaEvent, { type: "retry-timer" }>,
): TransitionResult {
  const pending = Object.hasOwn(run.s.pending, event.step) ? run.s.pending[event.step] : undefined;
  const live =
    !isTerminal(run.s.status) &&
    run.s.status !== SagaStatus.needsIntervention &&
    pending?.waitingFor === "retry-timer" &&
    pending.step === event.step &&
    pending.compensation === event.compensation &&
    pending.attempt + 1 === event.attempt;
  if (!live || !pending)
    return run.ignore(run.staleNote("retry timer", event.step, event.attempt, event.compensation));
  run.startAttempt(event.step, event.compensation, event.attempt, pending.attemptBase);
  return run.done(
    `${event.compensation ? "compensation of " : ""}${event.step} attempt ${event.attempt}`,
  );
}
