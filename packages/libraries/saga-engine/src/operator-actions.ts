// Operator actions on a saga: retry, skip, compensate, resolve. Each is refused, with a code and
// a reason, when it makes no sense in the saga's state; each is recorded with who and why.
import { compensationStateId, stepStateId } from "@sagaworks/saga-definition";
import { deadlineTimerId, isTerminal } from "./keys.ts";
import { LifecycleEvent, type SagaEvent, SagaStatus, type TransitionResult } from "./model.ts";
import { isJsonObject } from "./replies.ts";
import type { Run } from "./run.ts";

export function applyOperatorAction(
  run: Run,
  event: Extract<SagaEvent, { type: "operator" }>,
): TransitionResult {
  const who = `${event.action} by ${event.actor}: ${event.reason}`;
  if (isTerminal(run.s.status)) {
    return run.refuse("SAGA_TERMINAL", `Cannot ${event.action}: the saga is ${run.s.status}.`);
  }
  const pending = run.pendingWork();
  const parked = run.s.status === SagaStatus.needsIntervention;
  switch (event.action) {
    case "retry": {
      if (!pending)
        return run.refuse("NOTHING_TO_RETRY", "Cannot retry: the saga waits on nothing.");
      run.cancelPendingTimer();
      // Going forward again: the old failure no longer describes the saga. A compensation keeps
      // it, since compensations map from `$.failure`.
      if (!pending.compensation) run.s.failure = null;
      run.s.status = pending.compensation ? SagaStatus.compensating : SagaStatus.running;
      run.s.state = pending.compensation
        ? compensationStateId(pending.step)
        : stepStateId(pending.step);
      // A fresh retry budget: attempts so far belong to the old one.
      run.startAttempt(pending.step, pending.compensation, pending.attempt + 1, pending.attempt);
      if (parked) run.rearmDeadline();
      return run.done(
        `${who}; ${pending.compensation ? "compensation of " : ""}${pending.step} attempt ${pending.attempt + 1}`,
      );
    }
    case "skip": {
      if (!pending) return run.refuse("NOTHING_TO_SKIP", "Cannot skip: the saga waits on nothing.");
      const step = run.step(pending.step);
      // Skipping the pivot would pass the point of no return without the pivot's effect (no
      // credit reserved, yet nothing before it may be compensated any more).
      if (!pending.compensation && step.role === "pivot") {
        return run.refuse(
          "PIVOT_NOT_SKIPPABLE",
          `Cannot skip ${step.name}: it is the pivot, and skipping it would pass the point of no return without its effect. Retry it or compensate.`,
        );
      }
      if (!pending.compensation && !isJsonObject(event.output)) {
        return run.refuse(
          "SKIP_OUTPUT_INVALID",
          "Skip needs an output object: what later steps read from this step.",
        );
      }
      run.cancelPendingTimer();
      if (pending.compensation) {
        // The operator undid the step by hand.
        run.s.status = SagaStatus.compensating;
        return run.compensationSucceeded(step, `${who}; compensation of ${step.name} marked done`);
      }
      const record = run.record(step.name);
      record.status = "skipped";
      record.output =
        step.action.kind === "http" ? { status: 200, body: event.output } : event.output;
      run.s.failure = null;
      run.s.status = SagaStatus.running;
      if (parked) run.rearmDeadline();
      run.publish(LifecycleEvent.stepCompleted, step.name, { skipped: true });
      run.enterState(run.stepState(step.name).onSuccess);
      return run.done(`${who}; ${step.name} skipped with the supplied output`);
    }
    case "compensate": {
      if (run.s.pivotPassed) {
        return run.refuse(
          "PIVOT_PASSED",
          "Cannot compensate: the pivot has succeeded, so the remaining steps are retried until they succeed, never compensated.",
        );
      }
      if (run.s.status === SagaStatus.compensating) {
        return run.refuse("ALREADY_COMPENSATING", "The saga is already compensating.");
      }
      if (!pending || pending.compensation) {
        return run.refuse(
          "NOTHING_TO_COMPENSATE",
          "Cannot compensate: no forward step is in progress.",
        );
      }
      run.cancelPendingTimer();
      run.s.failure = {
        step: pending.step,
        kind: "operator",
        code: "FORCED_COMPENSATION",
        message: event.reason,
      };
      run.record(pending.step).status = "failed";
      // A step with a compensation undoes itself first (its guard refuses a late action); one
      // without (the pivot) starts the chain at the steps before it. The exhausted edge of a
      // pivot parks the saga, which is not what an operator asking to compensate wants.
      const state = run.stepState(pending.step);
      run.enterState(run.step(pending.step).compensation ? state.onExhausted : state.onFailure);
      return run.done(`${who}; compensation forced at ${pending.step}`);
    }
    case "resolve": {
      if (!parked) {
        return run.refuse(
          "NOT_PARKED",
          `Cannot resolve: only a saga that needs intervention can be marked resolved; this one is ${run.s.status}.`,
        );
      }
      run.s.status = SagaStatus.resolved;
      run.setPending(null);
      if (run.s.deadlineAt)
        run.effects.push({ type: "cancel-timer", timerId: deadlineTimerId(run.s.sagaId) });
      run.publish(LifecycleEvent.resolved, null, { actor: event.actor, reason: event.reason });
      run.effects.push({ type: "finish", status: SagaStatus.resolved });
      return run.done(`${who}; marked resolved`);
    }
  }
}
