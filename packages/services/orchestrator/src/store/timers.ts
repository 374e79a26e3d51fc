// Every statement on saga_timers.
import type { Knex } from "@sagaworks/platform";
import type { TimerEvent } from "@sagaworks/saga-engine";

/** A timer row: fires `event` on its saga at `fireAt`. */
export interface SagaTimer {
  id: string;
  sagaId: string;
  fireAt: Date;
  event: TimerEvent;
}

interface TimerColumns {
  id: string;
  saga_id: string;
  fire_at: Date | string;
  event: TimerEvent;
}

/** The one place a saga_timers row becomes a {@link SagaTimer}. */
function toTimer(row: TimerColumns): SagaTimer {
  return { id: row.id, sagaId: row.saga_id, fireAt: new Date(row.fire_at), event: row.event };
}

/** Deletes timers (cancelled ones). */
export async function deleteTimers(trx: Knex, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await trx("saga_timers").whereIn("id", ids).delete();
}

/** Arms timers; one armed again keeps the new time and event. */
export async function upsertTimers(trx: Knex, timers: readonly SagaTimer[]): Promise<void> {
  if (timers.length === 0) return;
  await trx("saga_timers")
    .insert(
      timers.map((timer) => ({
        id: timer.id,
        saga_id: timer.sagaId,
        fire_at: timer.fireAt,
        event: JSON.stringify(timer.event),
      })),
    )
    .onConflict("id")
    .merge(["fire_at", "event"]);
}

/** Timers due by `now`, earliest first; read without a lock (firing one takes it). */
export async function dueTimers(knex: Knex, now: Date, limit: number): Promise<SagaTimer[]> {
  const rows = (await knex("saga_timers")
    .where("fire_at", "<=", now)
    .orderBy("fire_at")
    .limit(limit)
    .select("id", "saga_id", "fire_at", "event")) as TimerColumns[];
  return rows.map(toTimer);
}

/** A saga's pending timers, soonest first (what the inspector shows). */
export async function timersOf(knex: Knex, sagaId: string): Promise<SagaTimer[]> {
  const rows = (await knex("saga_timers")
    .select("id", "saga_id", "fire_at", "event")
    .where({ saga_id: sagaId })
    .orderBy([
      { column: "fire_at", order: "asc" },
      { column: "id", order: "asc" },
    ])) as TimerColumns[];
  return rows.map(toTimer);
}
