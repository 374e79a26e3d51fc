// Which operator actions the saga page offers. The API has the last word (the pivot rules): the
// page offers what the saga's status allows and shows the API's refusal when it says no.
import type { PendingWork, SagaSnapshot } from "@sagaworks/saga-engine";
// The model subpath: the engine's accessors without its compiler, which needs node:crypto.
import { activeWork } from "@sagaworks/saga-engine/model";
import type { OperatorAction } from "./api.ts";

/** Statuses that never change again. */
export const TERMINAL: readonly string[] = ["completed", "compensated", "failed", "resolved"];

/** The work the saga waits on, as the engine sees it, or undefined. */
export function waitsOn(snapshot: Pick<SagaSnapshot, "pending">): PendingWork | undefined {
  return activeWork(snapshot) ?? undefined;
}

/** The actions worth offering in this state; the API applies the pivot rules and may refuse. */
export function allowedActions(snapshot: SagaSnapshot): OperatorAction[] {
  const work = waitsOn(snapshot);
  if (TERMINAL.includes(snapshot.status) || !work) {
    return snapshot.status === "needs-intervention" ? ["resolve"] : [];
  }
  const actions: OperatorAction[] = ["retry"];
  // A step whose reply is still awaited has no known outcome yet: the API refuses to skip it.
  if (snapshot.status === "needs-intervention" || work.waitingFor === "retry-timer") {
    actions.push("skip");
  }
  if (!work.compensation && snapshot.status !== "compensating") {
    actions.push("compensate");
  }
  if (snapshot.status === "needs-intervention") actions.push("resolve");
  return actions;
}
