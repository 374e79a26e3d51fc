import type { Knex } from "@sagaworks/platform";
import { transition } from "@sagaworks/saga-engine";
import type { Routing } from "./commit-plan/effects.ts";
import { writeEffects } from "./commit-plan/effects.ts";
import type { OrchestratorMetrics } from "./metrics.ts";
import type { DefinitionRegistry } from "./store/definition-registry.ts";
import { appendHistory } from "./store/history.ts";
import { type SagaInstance, saveSnapshot } from "./store/instances.ts";
import type { AfterPark } from "./store/outbox.ts";

/** What {@link parkSaga} needs. */
export interface ParkSagaDeps {
  routing: Routing;
  metrics: OrchestratorMetrics;
  definitions: Pick<DefinitionRegistry, "pinned">;
  random: () => number;
}

/**
 * What parking a message does to its saga, inside the parking's transaction (the instance row is
 * locked): the engine's `outbox-parked` transition, so a saga still running goes to
 * `needs-intervention` with the reason, its step timers cancelled and a `saga.needs-intervention`
 * event written, which any replica's poll sends (it is not leased: no writer sends it after this
 * commit). A history entry is written either way.
 */
export function parkSaga(deps: ParkSagaDeps): AfterPark {
  const { routing, metrics, definitions, random } = deps;
  return async (trx: Knex, instance: SagaInstance, parked, now) => {
    metrics.parkedMessage();
    const compiled = await definitions.pinned(instance.name, instance.version, instance.hash, trx);
    const result = transition(
      compiled,
      instance.snapshot,
      { type: "outbox-parked", outboxId: parked.outboxId, reason: parked.reason },
      { now, random },
    );
    const { snapshot } = result;
    await appendHistory(trx, instance.id, {
      seq: snapshot.seq,
      at: now,
      eventType: "outbox.parked",
      event: { type: "outbox.parked", outboxId: parked.outboxId },
      applied: result.applied,
      note: result.note,
      status: snapshot.status,
      state: snapshot.state,
      actor: null,
      reason: parked.reason,
      // The parked entry lists the events it published, not the timers it cancelled.
      effects: result.effects.flatMap((effect) =>
        effect.type === "publish-event" ? [{ type: effect.type, name: effect.name }] : [],
      ),
    });
    if (!result.applied) return;
    await saveSnapshot(trx, snapshot, instance.revision + 1, now);
    await writeEffects(trx, result.effects, {
      snapshot,
      traceId: instance.traceId,
      routing,
      now,
      leased: false,
    });
  };
}
