// Two sagas cannot wait on one correlation key: an event must find exactly one saga. The open
// wait's key is a generated column of saga_instances with a unique index (migration 0005), so
// the commit path needs nothing of its own; this module turns a clash into the waiting step's
// failure (AWAIT_KEY_TAKEN) instead of a failed transaction.
import type { Knex } from "@sagaworks/platform";
import type { CompiledSaga } from "@sagaworks/saga-definition";
import {
  activeWork,
  type SagaEvent,
  type SagaSnapshot,
  scopedWaitKey,
  type TransitionContext,
  type TransitionResult,
  transition,
} from "@sagaworks/saga-engine";

/** The unique index on the open wait's key. */
export const WAIT_KEY_INDEX = "saga_instances_wait_key_unique";

/** The scoped key of the wait `snapshot` has open, if it runs and waits for an event. */
export function openWaitKey(snapshot: SagaSnapshot | null): string | undefined {
  if (snapshot?.status !== "running") return undefined;
  const wait = activeWork(snapshot)?.wait;
  return wait ? scopedWaitKey(wait.service, wait.key) : undefined;
}

/**
 * `transition`, told which keys other sagas hold: when the result opens a wait on a key another
 * saga waits on, the event is applied again with that key marked taken, so the step fails
 * instead. Costs a read only when a wait opens.
 */
export async function transitionHonouringWaitKeys(
  knex: Knex,
  compiled: CompiledSaga,
  snapshot: SagaSnapshot | null,
  event: SagaEvent,
  context: TransitionContext,
): Promise<TransitionResult> {
  const result = transition(compiled, snapshot, event, context);
  const opened = openWaitKey(result.snapshot);
  if (!result.applied || opened === undefined || opened === openWaitKey(snapshot)) return result;
  const holder = await knex("saga_instances")
    .where({ wait_key: opened })
    .whereNot({ id: result.snapshot.sagaId })
    .first("id");
  if (!holder) return result;
  return transition(compiled, snapshot, event, { ...context, heldWaitKeys: new Set([opened]) });
}

/**
 * Whether a failed write lost the race for a wait key: two sagas opened one key at once and
 * neither saw the other's row. Deciding again sees the winner, and the loser's step fails with
 * AWAIT_KEY_TAKEN.
 */
export function lostWaitKeyRace(error: unknown): boolean {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === "23505" && constraint === WAIT_KEY_INDEX;
}
