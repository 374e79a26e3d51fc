// Idempotency keys and timer ids the engine derives from a saga id, and the terminal test.
import { type SagaStatus, TERMINAL_STATUSES } from "./model.ts";

/** Idempotency key of a step's action, the same for every attempt. */
export function actionKey(sagaId: string, step: string): string {
  return `${sagaId}:${step}`;
}

/** Idempotency key of a step's compensation, the same for every attempt. */
export function compensationKey(sagaId: string, step: string): string {
  return `${sagaId}:${step}:compensation`;
}

/** Id of the saga's deadline timer. */
export function deadlineTimerId(sagaId: string): string {
  return `${sagaId}:deadline`;
}

export const timerId = (
  sagaId: string,
  kind: string,
  step: string,
  attempt: number,
  comp: boolean,
) => `${sagaId}:${kind}:${step}:${attempt}:${comp ? "compensation" : "action"}`;

/** Whether a status never changes again. */
export function isTerminal(status: SagaStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
