// A start whose first step is a read-only HTTP call makes the call before it commits, and
// commits the saga with the answer applied: one write instead of two, and no outbox row, lease
// or hand-over for the call. Nothing was written before the call, so a crash or a failed start
// leaves nothing behind; a read-only step may be called again without harm, which is what its
// author declares with `readOnly`.
import type { CompiledSaga } from "@sagaworks/saga-definition";
import type { Effect, SagaEvent } from "@sagaworks/saga-engine";

export type CallHttpEffect = Extract<Effect, { type: "call-http" }>;

/**
 * The call among a transition's effects that may be made before its commit: the only HTTP call,
 * of a step that is read-only (declared `readOnly`, before the pivot). Undefined otherwise.
 */
export function inlineReadOf(
  compiled: CompiledSaga,
  effects: readonly Effect[],
): CallHttpEffect | undefined {
  const calls = effects.filter((effect): effect is CallHttpEffect => effect.type === "call-http");
  const [call] = calls;
  if (calls.length !== 1 || !call) return undefined;
  const step = compiled.steps.find((candidate) => candidate.name === call.step);
  return step?.role === "read-only" && step.action.kind === "http" ? call : undefined;
}

/**
 * Whether an answer to an inline call is one the definition names (a success or a business
 * failure) and so is applied with the start. Anything else (5xx, a status the step does not
 * list, a timeout, a network error) is left to the HTTP invoker: the call goes to the outbox as
 * if it had not been made, and its retries, backoff and timeout work as they always do.
 */
export function isDefinitiveAnswer(compiled: CompiledSaga, event: SagaEvent): boolean {
  if (event.type !== "http-response") return false;
  const step = compiled.steps.find((candidate) => candidate.name === event.step);
  if (!step) return false;
  const status = String(event.status);
  return step.outcomes.success.includes(status) || step.outcomes.businessFailure.includes(status);
}
