// The writes of one applied transition as one statement: the instance, its history entry, its
// timers and its outbox rows. Each table's columns still come from its own module.
import type { Knex } from "@sagaworks/platform";
import type { SagaSnapshot } from "@sagaworks/saga-engine";
import type { PlannedEffects } from "./effects.ts";
import { type HistoryEntry, historyColumns } from "./history.ts";
import { newInstanceColumns, snapshotColumns } from "./instances.ts";
import { outboxColumns, type SagaOutboxRow, withOutboxIds } from "./outbox.ts";
import { upsertTimersQuery } from "./timers.ts";

/** What happens to the instance row: a new saga, or a new snapshot of a locked one. */
export type InstanceWrite =
  | { kind: "insert"; idempotencyKey: string | null; traceId: string }
  | { kind: "update"; revision: number }
  | { kind: "none" };

/**
 * Writes a transition in one round trip: Postgres runs every data-modifying CTE of a statement
 * exactly once, all of them or none, inside the caller's transaction. Five statements (and five
 * waits on the network, each a socket write) become one; what is written is unchanged.
 *
 * The CTEs touch different tables, except the timers, whose delete and upsert never name the
 * same id (`planEffects` drops a cancelled timer that is armed again), so their order inside
 * the statement does not matter. The caller holds the instance row's lock (or is inserting it).
 */
export async function writeTransition(
  trx: Knex,
  write: {
    snapshot: SagaSnapshot;
    now: Date;
    instance: InstanceWrite;
    history: HistoryEntry;
    effects: PlannedEffects;
    /** See `insertOutboxRows`: false makes the rows due at once for any replica's poll. */
    leased?: boolean;
  },
): Promise<SagaOutboxRow[]> {
  const { snapshot, now, effects } = write;
  const parts: { name: string; query: Knex.Sql }[] = [];
  const add = (name: string, builder: Knex.QueryBuilder) =>
    parts.push({ name, query: builder.toSQL() });

  if (write.instance.kind === "insert") {
    add(
      "new_instance",
      trx("saga_instances").insert(
        newInstanceColumns({
          snapshot,
          idempotencyKey: write.instance.idempotencyKey,
          traceId: write.instance.traceId,
          now,
        }),
      ),
    );
  } else if (write.instance.kind === "update") {
    add(
      "saved_instance",
      trx("saga_instances")
        .where({ id: snapshot.sagaId })
        .update(snapshotColumns(snapshot, write.instance.revision, now)),
    );
  }
  add("history", trx("saga_history").insert(historyColumns(snapshot.sagaId, write.history)));
  if (effects.cancelled.length > 0) {
    add("cancelled_timers", trx("saga_timers").whereIn("id", effects.cancelled).delete());
  }
  if (effects.scheduled.length > 0) add("armed_timers", upsertTimersQuery(trx, effects.scheduled));
  const outbox =
    effects.rows.length > 0
      ? trx("saga_outbox")
          .insert(outboxColumns(effects.rows, now, { leased: write.leased ?? true }))
          .returning("id")
          .toSQL()
      : undefined;
  if (outbox) parts.push({ name: "outbox", query: outbox });

  const ctes = parts.map((part) => `${part.name} as (${part.query.sql})`).join(", ");
  const bindings = parts.flatMap((part) => [...part.query.bindings]);
  // The outbox ids come back in the order of the VALUES list, as from a plain INSERT RETURNING.
  const result = (await trx.raw(
    `with ${ctes} ${outbox ? "select id from outbox" : "select 1 as id where false"}`,
    bindings,
  )) as { rows: { id: string | number }[] };
  return withOutboxIds(effects.rows, result.rows);
}
