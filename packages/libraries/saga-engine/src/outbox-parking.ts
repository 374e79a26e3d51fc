// A message the saga sent that can never go out (the broker refuses it, or it is larger than a
// queue takes): the orchestrator parks the outbox row and offers this event, and the saga is
// parked as `needs-intervention` with the reason, as one whose step cannot succeed.
import { isTerminal } from "./keys.ts";
import { LifecycleEvent, type SagaEvent, SagaStatus, type TransitionResult } from "./model.ts";
import type { Run } from "./run.ts";

/** Failure code a saga carries when one of its messages could not be sent. */
export const OUTBOX_UNDELIVERABLE = "OUTBOX_UNDELIVERABLE";

/**
 * Parks a running or compensating saga. `pending` is kept, with its timers cancelled, so that an
 * operator's `retry` runs the step again and `resolve` closes it. A saga already finished or
 * parked is left as it is (the event is recorded, not applied).
 */
export function outboxMessageParked(
  run: Run,
  event: Extract<SagaEvent, { type: "outbox-parked" }>,
): TransitionResult {
  const note = `outbox message ${event.outboxId} parked: ${event.reason}`;
  if (isTerminal(run.s.status) || run.s.status === SagaStatus.needsIntervention) {
    return run.ignore(note);
  }
  const pending = run.pendingWork();
  for (const [step, work] of Object.entries(run.s.pending)) {
    run.cancelPendingTimer(step);
    run.s.pending[step] = { ...work, timerId: "" };
  }
  run.s.status = SagaStatus.needsIntervention;
  // A compensation maps from `$.failure`: the failure that started it is kept.
  if (!(pending?.compensation && run.s.failure)) {
    run.s.failure = {
      step: pending?.step ?? "(saga)",
      kind: "exhausted",
      code: OUTBOX_UNDELIVERABLE,
      message: event.reason,
    };
  }
  run.publish(LifecycleEvent.needsIntervention, run.pendingWork()?.step ?? null, {
    failure: run.failureJson(),
  });
  return run.done(`${note}; the saga needs intervention`);
}
