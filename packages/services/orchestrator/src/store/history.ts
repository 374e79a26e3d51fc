// Every statement on saga_history (append-only), and its one mapping to objects.
import type { Knex } from "@sagaworks/platform";
import type { SagaStatus } from "@sagaworks/saga-engine";

/** One entry of a saga's audit timeline. */
export interface HistoryEntry {
  seq: number;
  at: Date;
  /** The event's type, `operator.<action>` for operator actions, `outbox.parked` for parking. */
  eventType: string;
  event: unknown;
  applied: boolean;
  note: string;
  status: SagaStatus;
  state: string;
  actor: string | null;
  reason: string | null;
  /** What the transition asked for, summarised (no payloads). */
  effects: unknown;
}

/** Appends one entry to a saga's history. */
export async function appendHistory(trx: Knex, sagaId: string, entry: HistoryEntry): Promise<void> {
  const record = historyRecord(entry);
  await trx("saga_history").insert({
    saga_id: sagaId,
    ...record,
    event: JSON.stringify(record.event),
    effects: JSON.stringify(record.effects),
  });
}

/**
 * One entry as the columns of its row (without the saga's id): the one mapping from an entry to
 * a row, which the version-checked statement sends as JSON and `appendHistory` inserts.
 */
export function historyRecord(entry: HistoryEntry) {
  return {
    seq: entry.seq,
    at: entry.at.toISOString(),
    event_type: entry.eventType,
    event: entry.event,
    applied: entry.applied,
    note: entry.note,
    status: entry.status,
    state: entry.state,
    actor: entry.actor,
    reason: entry.reason,
    effects: entry.effects,
  };
}

/** A saga's history, oldest first. */
export async function loadHistory(knex: Knex, sagaId: string): Promise<HistoryEntry[]> {
  const rows = (await knex("saga_history")
    .where({ saga_id: sagaId })
    .orderBy("id", "asc")
    .select(
      "seq",
      "at",
      "event_type",
      "event",
      "applied",
      "note",
      "status",
      "state",
      "actor",
      "reason",
      "effects",
    )) as (Omit<HistoryEntry, "eventType" | "at"> & { event_type: string; at: Date | string })[];
  return rows.map(({ event_type, at, ...rest }) => ({
    ...rest,
    at: new Date(at),
    eventType: event_type,
  }));
}
