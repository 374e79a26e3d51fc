// A saga's writes as one statement, conditioned on the revision the writer read.
import type { Database } from "@sagaworks/platform";
import type { SagaSnapshot } from "@sagaworks/saga-engine";
import type { PlannedEffects } from "../commit-plan/effects.ts";
import { type HistoryEntry, historyRecord } from "./history.ts";
import { type InstanceColumns, type SagaInstance, toInstance } from "./instances.ts";
import { outboxColumns, type SagaOutboxRow, withOutboxIds } from "./outbox.ts";

/** What one event writes to a saga it was applied to (or offered to, and ignored). */
export interface SagaWrite {
  /** The new snapshot; undefined keeps the stored one (an event that changed nothing). */
  snapshot: SagaSnapshot | undefined;
  now: Date;
  /**
   * The history entries, one per transition applied (several when a chain's answers came in one
   * reply), the revision going up by as many; none for a junk reply past the first few.
   */
  history: readonly HistoryEntry[];
  /** 1 for a reply that changed nothing: the instance counts them. */
  junkReplies: 0 | 1;
  /** The delivered message's id, recorded in saga_inbox: a second delivery fails the statement. */
  dedupeKey: string | undefined;
  /** The timer that fired: the write happens only if it is still armed and due at `now`. */
  timerId: string | undefined;
  /** The outbox row (an HTTP call) whose answer this is, deleted with the write. */
  outboxId: string | undefined;
  effects: PlannedEffects;
  /** Outbox rows the relay has sent, deleted on the way whether the write happens or not. */
  sentIds: readonly string[];
}

/** What the statement did. */
export type WriteOutcome =
  | { kind: "written"; instance: SagaInstance; rows: SagaOutboxRow[] }
  /**
   * The row's revision is not the one read: another writer came first. `current` is the row as
   * the statement saw it, which saves a read; it may itself be behind a writer that committed
   * while the statement ran, and then the next write finds that out the same way.
   */
  | { kind: "conflict"; current: SagaInstance | undefined }
  /** The dedupe key was recorded before: this message was applied already. */
  | { kind: "duplicate" }
  /** The timer is no longer armed, or no longer due (re-armed later). */
  | { kind: "timer-gone" }
  | { kind: "unknown-saga" };

/**
 * The part of a statement that inserts the history entries in parameter `$param` (a JSON array of
 * {@link historyRecord}s) for the saga row that the part `row` returned.
 */
const insertHistory = (row: string, param: number) => `
  INSERT INTO saga_history
    (saga_id, seq, at, event_type, event, applied, note, status, state, actor, reason, effects)
  SELECT ${row}.id, h.seq, h.at, h.event_type, h.event, h.applied, h.note, h.status, h.state,
    h.actor, h.reason, h.effects
  FROM ${row}, jsonb_to_recordset($${param}::jsonb) AS h(seq int, at timestamptz, event_type text,
    event jsonb, applied boolean, note text, status text, state text, actor text, reason text,
    effects jsonb)`;

/**
 * The part of a statement that inserts the outbox rows in parameter `$param` (a JSON array of
 * {@link outboxRecords}, written in their order) for the saga row that the part `row` returned,
 * created at parameter `$createdAt`, and returns their ids.
 */
const insertOutbox = (row: string, param: number, createdAt: number) => `
  INSERT INTO saga_outbox (saga_id, kind, destination, message, attempts, available_at, created_at)
  SELECT ${row}.id, o.kind, o.destination, o.message, o.attempts, o.available_at,
    $${createdAt}::timestamptz
  FROM ${row}, jsonb_to_recordset($${param}::jsonb) AS o(ord int, kind text, destination text,
    message jsonb, attempts int, available_at timestamptz)
  ORDER BY o.ord
  RETURNING id`;

// Every part after `saved` takes its rows FROM saved, so it writes only if the instance row
// still had the revision the writer read and was bumped here. Postgres runs every part of the
// statement or none, in one transaction (its own or its turn's; see Database.statement), so
// the history, inbox, timer and outbox rows are written exactly with the snapshot they belong to.
//
// Timers: `taken` deletes the fired timer unless the transition arms it again under its id
// (`armed` then replaces it), and the caller leaves it out of `cancelled`, so no row is touched
// twice. A concurrent writer of the row makes this UPDATE wait for it and then find another
// revision (0 rows); the final SELECT reads the statement's snapshot, which is why a conflict
// may first look like a due timer and is then settled by the read-and-retry that follows.
const UPDATE_TEXT = `
WITH sent AS (
  DELETE FROM saga_outbox WHERE id = ANY(ARRAY(SELECT jsonb_array_elements_text($3::jsonb)::bigint))
),
saved AS (
  UPDATE saga_instances SET
    status = coalesce($4::text, status),
    state = coalesce($5::text, state),
    snapshot = coalesce($6::jsonb, snapshot),
    updated_at = coalesce($8::timestamptz, updated_at),
    junk_replies = junk_replies + $9::int,
    revision = revision + $18::int
  WHERE id = $1::uuid AND revision = $2::int
    AND ($10::text IS NULL OR EXISTS (
      SELECT 1 FROM saga_timers WHERE id = $10::text AND fire_at <= $7::timestamptz))
  RETURNING id, revision, junk_replies
),
taken AS (
  DELETE FROM saga_timers USING saved WHERE saga_timers.id = $11::text
),
answered AS (
  DELETE FROM saga_outbox USING saved WHERE saga_outbox.id = $12::bigint
),
delivery AS (
  INSERT INTO saga_inbox (message_id, saga_id, received_at)
  SELECT $13::text, saved.id, $7::timestamptz FROM saved WHERE $13::text IS NOT NULL
),
history AS (${insertHistory("saved", 14)}
),
cancelled AS (
  DELETE FROM saga_timers USING saved
  WHERE saga_timers.id = ANY(ARRAY(SELECT jsonb_array_elements_text($15::jsonb)))
),
armed AS (
  INSERT INTO saga_timers (id, saga_id, fire_at, event)
  SELECT t.id, saved.id, t.fire_at, t.event
  FROM saved, jsonb_to_recordset($16::jsonb) AS t(id text, fire_at timestamptz, event jsonb)
  ON CONFLICT (id) DO UPDATE SET fire_at = excluded.fire_at, event = excluded.event
),
outbox AS (${insertOutbox("saved", 17, 7)}
)
SELECT
  (SELECT revision FROM saved) AS revision,
  (SELECT junk_replies FROM saved) AS junk_replies,
  EXISTS (SELECT 1 FROM saga_instances WHERE id = $1::uuid) AS exists,
  CASE WHEN NOT EXISTS (SELECT 1 FROM saved) THEN
    (SELECT to_jsonb(current) FROM saga_instances current WHERE current.id = $1::uuid)
  END AS current,
  ($10::text IS NULL OR EXISTS (
    SELECT 1 FROM saga_timers WHERE id = $10::text AND fire_at <= $7::timestamptz)) AS timer_due,
  (SELECT coalesce(jsonb_agg(id ORDER BY id), '[]'::jsonb) FROM outbox) AS outbox_ids`;

/**
 * The statement that creates a saga: instance, its first history entries (one per transition,
 * which the revision counts), timers, outbox rows.
 */
const INSERT_TEXT = `
WITH sent AS (
  DELETE FROM saga_outbox WHERE id = ANY(ARRAY(SELECT jsonb_array_elements_text($1::jsonb)::bigint))
),
created AS (
  INSERT INTO saga_instances (id, saga_name, saga_version, saga_hash, status, state, snapshot,
    revision, idempotency_key, trace_id, created_at, updated_at)
  VALUES ($2::uuid, $3::text, $4::int, $5::text, $6::text, $7::text, $8::jsonb, $15::int, $9::text,
    $10::text, $11::timestamptz, $11::timestamptz)
  RETURNING id
),
history AS (${insertHistory("created", 12)}
),
armed AS (
  INSERT INTO saga_timers (id, saga_id, fire_at, event)
  SELECT t.id, created.id, t.fire_at, t.event
  FROM created, jsonb_to_recordset($13::jsonb) AS t(id text, fire_at timestamptz, event jsonb)
),
outbox AS (${insertOutbox("created", 14, 11)}
)
SELECT (SELECT coalesce(jsonb_agg(id ORDER BY id), '[]'::jsonb) FROM outbox) AS outbox_ids`;

const READ_TEXT = "SELECT * FROM saga_instances WHERE id = $1::uuid";

/** The constraint a second delivery of one message id hits. */
const INBOX_KEY = "saga_inbox_pkey";

/** Reads an instance through the statement path (the cache's miss). */
export async function readInstance(db: Database, id: string): Promise<SagaInstance | undefined> {
  const { rows } = await db.statement<InstanceColumns>("saga_read_instance", READ_TEXT, [id]);
  return rows[0] ? toInstance(rows[0]) : undefined;
}

function outboxRecords(effects: PlannedEffects, now: Date): unknown[] {
  return outboxColumns(effects.rows, now, { leased: true }).map((columns, ord) => ({
    ord,
    kind: columns.kind,
    destination: columns.destination,
    message: effects.rows[ord]?.message,
    attempts: columns.attempts,
    available_at: (columns.available_at as Date).toISOString(),
  }));
}

const timerRecords = (effects: PlannedEffects) =>
  effects.scheduled.map((timer) => ({
    id: timer.id,
    fire_at: timer.fireAt.toISOString(),
    event: timer.event,
  }));

/**
 * Writes one event's effect on a saga read at `read.revision`, in one statement: see
 * {@link WriteOutcome} for what it can answer. A delivery recorded before fails the whole
 * statement on the inbox key, which is answered as `duplicate`.
 */
export async function writeVersioned(
  db: Database,
  read: SagaInstance,
  write: SagaWrite,
): Promise<WriteOutcome> {
  const { snapshot, now, effects } = write;
  // A fired timer armed again by its own transition is replaced by `armed`, not deleted.
  const rearmed = effects.scheduled.some((timer) => timer.id === write.timerId);
  const values = [
    read.id,
    read.revision,
    JSON.stringify(write.sentIds),
    snapshot?.status ?? null,
    snapshot?.state ?? null,
    snapshot ? JSON.stringify(snapshot) : null,
    now.toISOString(),
    snapshot ? now.toISOString() : null,
    write.junkReplies,
    write.timerId ?? null,
    write.timerId && !rearmed ? write.timerId : null,
    write.outboxId ?? null,
    write.dedupeKey ?? null,
    JSON.stringify(write.history.map(historyRecord)),
    JSON.stringify(effects.cancelled.filter((id) => id !== write.timerId)),
    JSON.stringify(timerRecords(effects)),
    JSON.stringify(outboxRecords(effects, now)),
    // Every write bumps it, so a writer that read an older one finds out.
    Math.max(1, write.history.length),
  ];
  let result: {
    revision: number | null;
    junk_replies: number | null;
    current: InstanceColumns | null;
    exists: boolean;
    timer_due: boolean;
    outbox_ids: (string | number)[];
  };
  try {
    const { rows } = await db.statement<typeof result>("saga_write_versioned", UPDATE_TEXT, values);
    result = rows[0] as typeof result;
  } catch (error) {
    const { code, constraint } = error as { code?: string; constraint?: string };
    if (code === "23505" && constraint === INBOX_KEY) return { kind: "duplicate" };
    throw error;
  }
  if (result.revision !== null) {
    return {
      kind: "written",
      instance: {
        ...read,
        ...(snapshot
          ? { snapshot, status: snapshot.status, state: snapshot.state, updatedAt: now }
          : {}),
        revision: result.revision,
        junkReplies: result.junk_replies ?? read.junkReplies,
      },
      rows: withOutboxIds(
        effects.rows,
        result.outbox_ids.map((id) => ({ id })),
      ),
    };
  }
  if (!result.exists) return { kind: "unknown-saga" };
  if (!result.timer_due) return { kind: "timer-gone" };
  return { kind: "conflict", current: result.current ? toInstance(result.current) : undefined };
}

/**
 * Creates a saga in one statement; a second start with the same idempotency key fails with
 * 23505 on its unique index, as a plain insert does.
 */
export async function insertVersioned(
  db: Database,
  write: {
    snapshot: SagaSnapshot;
    now: Date;
    idempotencyKey: string | null;
    traceId: string;
    /** One entry per transition written (the start, and an answer applied with it). */
    history: readonly HistoryEntry[];
    effects: PlannedEffects;
    sentIds: readonly string[];
  },
): Promise<{ instance: SagaInstance; rows: SagaOutboxRow[] }> {
  const { snapshot, now, effects } = write;
  const { rows } = await db.statement<{ outbox_ids: (string | number)[] }>(
    "saga_insert_instance",
    INSERT_TEXT,
    [
      JSON.stringify(write.sentIds),
      snapshot.sagaId,
      snapshot.sagaName,
      snapshot.sagaVersion,
      snapshot.sagaHash,
      snapshot.status,
      snapshot.state,
      JSON.stringify(snapshot),
      write.idempotencyKey,
      write.traceId,
      now.toISOString(),
      JSON.stringify(write.history.map(historyRecord)),
      JSON.stringify(timerRecords(effects)),
      JSON.stringify(outboxRecords(effects, now)),
      write.history.length,
    ],
  );
  const ids = rows[0]?.outbox_ids ?? [];
  return {
    instance: {
      id: snapshot.sagaId,
      name: snapshot.sagaName,
      version: snapshot.sagaVersion,
      hash: snapshot.sagaHash,
      status: snapshot.status,
      state: snapshot.state,
      snapshot,
      revision: write.history.length,
      idempotencyKey: write.idempotencyKey,
      traceId: write.traceId,
      junkReplies: 0,
      createdAt: now,
      updatedAt: now,
    },
    rows: withOutboxIds(
      effects.rows,
      ids.map((id) => ({ id })),
    ),
  };
}
