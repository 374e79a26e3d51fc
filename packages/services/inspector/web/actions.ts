// Which operator actions the saga page offers. The API has the last word (the pivot rules): the
// page offers what the saga's status allows and shows the API's refusal when it says no.
import type { PendingWork, SagaSnapshot } from "@sagaworks/saga-engine";
import type { OperatorAction } from "./api.ts";

/** Statuses that never change again. */
export const TERMINAL: readonly string[] = ["completed", "compensated", "failed", "resolved"];

/**
 * Every piece of work the saga waits on: one in a straight line, one per branch still running
 * inside a parallel group. An action names the step it is for, so the form lets the operator
 * choose among these.
 */
export function pendingWorks(snapshot: Pick<SagaSnapshot, "pending">): PendingWork[] {
  return Object.values(snapshot.pending);
}

/**
 * The steps whose commands a pending chain sent along, each with the step whose command carried
 * them: their participants send them on themselves, so any of them may have run already though
 * the saga has not heard of it yet.
 */
export function sentAlong(snapshot: Pick<SagaSnapshot, "pending">): Map<string, string> {
  const along = new Map<string, string>();
  for (const work of pendingWorks(snapshot)) {
    for (const step of work.chain ?? []) along.set(step, work.step);
  }
  return along;
}

/** The actions worth offering in this state; the API applies the pivot rules and may refuse. */
export function allowedActions(snapshot: SagaSnapshot): OperatorAction[] {
  const works = pendingWorks(snapshot);
  if (TERMINAL.includes(snapshot.status) || works.length === 0) {
    return snapshot.status === "needs-intervention" ? ["resolve"] : [];
  }
  const actions: OperatorAction[] = ["retry"];
  // A step whose reply is still awaited has no known outcome yet: the API refuses to skip it.
  // With several pending, the action is offered when at least one step allows it.
  if (
    snapshot.status === "needs-intervention" ||
    works.some((work) => work.waitingFor === "retry-timer")
  ) {
    actions.push("skip");
  }
  if (works.some((work) => !work.compensation) && snapshot.status !== "compensating") {
    actions.push("compensate");
  }
  if (snapshot.status === "needs-intervention") actions.push("resolve");
  return actions;
}
