// Which operator actions the saga page offers. The API has the last word (the pivot rules): the
// page offers what the saga's status allows and shows the API's refusal when it says no.
import type { SagaSnapshot } from "@sagaworks/saga-engine";
import type { OperatorAction } from "./api.ts";

/** Statuses that never change again. */
export const TERMINAL: readonly string[] = ["completed", "compensated", "failed", "resolved"];

/** The actions worth offering in this state; the API applies the pivot rules and may refuse. */
export function allowedActions(snapshot: SagaSnapshot): OperatorAction[] {
  if (TERMINAL.includes(snapshot.status) || !snapshot.pending) {
    return snapshot.status === "needs-intervention" ? ["resolve"] : [];
  }
  const actions: OperatorAction[] = ["retry", "skip"];
  if (!snapshot.pending.compensation && snapshot.status !== "compensating") {
    actions.push("compensate");
  }
  if (snapshot.status === "needs-intervention") actions.push("resolve");
  return actions;
}
