import type { Knex } from "@sagaworks/platform";
import {
  activeWork,
  type SagaSnapshot,
  SagaStatus,
  TERMINAL_STATUSES,
} from "@sagaworks/saga-engine";
import type { OrchestratorMetrics } from "./metrics.ts";
import type { Routing } from "./store/effects.ts";
import { writeEffects } from "./store/effects.ts";
import { appendHistory } from "./store/history.ts";
import { type SagaInstance, saveSnapshot } from "./store/instances.ts";
import type { AfterPark } from "./store/outbox.ts";
import { deleteTimers } from "./store/timers.ts";

/** Failure code a saga carries when one of its messages could not be sent. */
export const OUTBOX_UNDELIVERABLE = "OUTBOX_UNDELIVERABLE";

/**
 * The snapshot of a saga parked because a message it sent can never go out: `needs-intervention`
 * with the reason, as the engine parks a saga whose step cannot succeed. `pending` is kept (with
 * no timer) so that an operator's `retry` runs the step again and `resolve` closes it. A saga
 * already finished or parked is left as it is. Pure.
 */
export function parkedSnapshot(
  snapshot: SagaSnapshot,
  reason: string,
  now: Date,
): SagaSnapshot | undefined {
  if (TERMINAL_STATUSES.includes(snapshot.status) || snapshot.status === "needs-intervention") {
    return undefined;
  }
  const pending = activeWork(snapshot);
  return {
    ...snapshot,
    status: SagaStatus.needsIntervention,
    pending: Object.fromEntries(
      Object.entries(snapshot.pending).map(([step, work]) => [step, { ...work, timerId: "" }]),
    ),
    // A compensation maps from `$.failure`: the failure that started it is kept.
    failure:
      pending?.compensation && snapshot.failure
        ? snapshot.failure
        : {
            step: pending?.step ?? "(saga)",
            kind: "exhausted",
            code: OUTBOX_UNDELIVERABLE,
            message: reason,
          },
    updatedAt: now.toISOString(),
    seq: snapshot.seq + 1,
  };
}

/**
 * What parking a message does to its saga, inside the parking's transaction (the instance row is
 * locked): a history entry always; for a saga still running, `needs-intervention` with the
 * reason, its step timer disarmed and a `saga.needs-intervention` event, which any replica's poll
 * sends (it is not leased: no writer sends it after this commit).
 */
export function parkSaga(routing: Routing, metrics: OrchestratorMetrics): AfterPark {
  return async (trx: Knex, instance: SagaInstance, parked, now) => {
    metrics.parkedMessage();
    const note = `outbox message ${parked.outboxId} parked: ${parked.reason}`;
    const next = parkedSnapshot(instance.snapshot, parked.reason, now);
    const snapshot = next ?? instance.snapshot;
    await appendHistory(trx, instance.id, {
      seq: snapshot.seq,
      at: now,
      eventType: "outbox.parked",
      event: { type: "outbox.parked", outboxId: parked.outboxId },
      applied: next !== undefined,
      note: next ? `${note}; the saga needs intervention` : note,
      status: snapshot.status,
      state: snapshot.state,
      actor: null,
      reason: parked.reason,
      effects: next ? [{ type: "publish-event", name: "saga.needs-intervention" }] : [],
    });
    if (!next) return;
    await saveSnapshot(trx, next, instance.revision + 1, now);
    const timers = Object.values(instance.snapshot.pending)
      .map((work) => work.timerId)
      .filter((id) => id !== "");
    if (timers.length > 0) await deleteTimers(trx, timers);
    await writeEffects(
      trx,
      [
        {
          type: "publish-event",
          name: "saga.needs-intervention",
          step: activeWork(next)?.step ?? null,
          detail: { sagaId: next.sagaId, status: next.status, failure: { ...next.failure } },
        },
      ],
      { snapshot: next, traceId: instance.traceId, routing, now, leased: false },
    );
  };
}
