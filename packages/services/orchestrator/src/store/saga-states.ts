// The state of many sagas at once, for joining dead-lettered messages to them: status, state,
// last change and what each waits on, without the rest of the snapshot.

import type { PendingSummary } from "@sagaworks/dead-letters";
import type { Knex } from "@sagaworks/platform";
import { pendingByStep } from "../legacy/pending-by-step.ts";

/** A saga's state as the dead-letter view joins it. */
export interface SagaStateRow {
  id: string;
  name: string;
  version: number;
  status: string;
  state: string;
  updatedAt: Date;
  /** What it waits on, by step; empty when terminal. */
  pending: Record<string, PendingSummary>;
}

/** Reads the sagas of these ids; an id with no saga is absent from the map. */
export async function sagaStatesOf(
  knex: Knex,
  ids: readonly string[],
): Promise<Map<string, SagaStateRow>> {
  const states = new Map<string, SagaStateRow>();
  // Ids from dead letters are untrusted text: only UUIDs can name a saga (the column is uuid).
  const uuids = [...new Set(ids)].filter((id) => UUID.test(id));
  for (let i = 0; i < uuids.length; i += 500) {
    const rows: {
      id: string;
      saga_name: string;
      saga_version: number;
      status: string;
      state: string;
      updated_at: Date | string;
      pending: SagaStateRow["pending"] | string | null;
    }[] = await knex("saga_instances")
      .select(
        "id",
        "saga_name",
        "saga_version",
        "status",
        "state",
        "updated_at",
        knex.raw("snapshot->'pending' as pending"),
      )
      .whereIn("id", uuids.slice(i, i + 500));
    for (const row of rows) {
      states.set(row.id, {
        id: row.id,
        name: row.saga_name,
        version: row.saga_version,
        status: row.status,
        state: row.state,
        updatedAt: new Date(row.updated_at),
        pending: pendingByStep(
          typeof row.pending === "string" ? JSON.parse(row.pending) : row.pending,
        ),
      });
    }
  }
  return states;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
