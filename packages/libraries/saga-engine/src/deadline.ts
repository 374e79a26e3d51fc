import { deadlineTimerId, isTerminal } from "./keys.ts";
import { LifecycleEvent, SagaStatus, type TransitionResult } from "./model.ts";
import type { Run } from "./run.ts";

export function deadlinePassed(run: Run): TransitionResult {
  if (isTerminal(run.s.status) || run.s.status === SagaStatus.needsIntervention) {
    return run.ignore(`saga deadline ignored: the saga is ${run.s.status}`);
  }
  if (run.s.status === SagaStatus.compensating) {
    return run.ignore(
      "saga deadline passed while compensating: compensations run on until they succeed",
    );
  }
  // A deadline timer read before an operator re-armed it (same timer id, later time) may still be
  // taken by a slow replica: only the time in the snapshot says whether the deadline has come.
  const deadlineAt = run.s.deadlineAt === null ? Number.NaN : Date.parse(run.s.deadlineAt);
  if (!(deadlineAt <= run.context.now.getTime())) {
    return run.ignore(
      `saga deadline ignored: its time has not come (the deadline is ${run.s.deadlineAt ?? "none"})`,
    );
  }
  if (run.s.pivotPassed) {
    run.publish(LifecycleEvent.deadlinePassed, run.pendingWork()?.step ?? null);
    return run.done(
      "saga deadline passed after the pivot: the remaining steps are retried, never compensated",
    );
  }
  // While a parallel group runs, any of its branch steps stands for the group: failing it stops
  // the others and undoes them all.
  const pending = run.pendingWork();
  if (!pending) return run.ignore("saga deadline ignored: the saga waits on nothing");
  run.cancelPendingTimer(pending.step);
  const step = run.step(pending.step);
  run.s.failure = {
    step: step.name,
    kind: "deadline",
    code: "SAGA_DEADLINE",
    message: "the saga's deadline passed",
  };
  const record = run.record(step.name);
  record.status = "failed";
  record.lastError = { code: "SAGA_DEADLINE", message: "the saga's deadline passed" };
  // The step's outcome is unknown (it may still apply), so it takes the exhausted edge, which
  // compensates the step itself where it has a compensation.
  run.publish(LifecycleEvent.stepFailed, step.name, { failure: run.failureJson() });
  run.enterFailureEdge(step, run.exhaustedEdge(step, pending));
  return run.done(`saga deadline passed during ${step.name}`);
}

/**
 * Arms the deadline again when an operator moves a parked saga on: a deadline that fired while
 * the saga was parked was ignored, so without this the saga would run on with none. A deadline
 * still ahead keeps its time (scheduling a timer id again replaces it); one that passed starts a
 * fresh window of the saga's timeout from now, or it would fire at once and undo what the
 * operator just asked for.
 */
export function rearmDeadline(run: Run): void {
  if (run.s.deadlineAt === null || run.compiled.timeoutMs === null) return;
  const now = run.context.now.getTime();
  const fireAt =
    Date.parse(run.s.deadlineAt) > now
      ? run.s.deadlineAt
      : new Date(now + run.compiled.timeoutMs).toISOString();
  run.s.deadlineAt = fireAt;
  run.effects.push({
    type: "schedule-timer",
    timerId: deadlineTimerId(run.s.sagaId),
    fireAt,
    event: { type: "saga-deadline" },
  });
}
