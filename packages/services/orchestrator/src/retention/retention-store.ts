// Every statement retention runs: finding finished sagas past the window, reading their whole
// record, deleting them (only if still finished and unchanged since they were read), the inbox
// window, the archive index and the control row (pause switch and lease).
import type { Knex } from "@sagaworks/platform";
import { MAX_SUB_SAGA_NESTING } from "@sagaworks/saga-definition";
import { TERMINAL_STATUSES } from "@sagaworks/saga-engine";
import { CHILD_KEY_PREFIX } from "../sub-sagas/child-key.ts";

/** A finished saga's whole record, as one line of an archive object (what readers parse). */
export interface ArchivedRecord {
  sagaId: string;
  /** The definition it ran on: name, version and content hash. */
  definition: { name: string; version: number; hash: string };
  /** The instance row as stored, every column (so columns added later are archived too). */
  instance: Record<string, unknown>;
  /** Its history rows, oldest first, every column. */
  history: Record<string, unknown>[];
  /** Outbox messages parked for it, if any. */
  parkedMessages: Record<string, unknown>[];
}

/** What the delete checks a saga against: it must be exactly as it was archived. */
export interface ArchivedVersion {
  id: string;
  revision: number;
  /** The id of its newest history row when it was read (0 for none). */
  lastHistoryId: string;
}

/** Where a walk through the finished sagas is: the last one looked at. */
export interface FinishedCursor {
  updatedAt: Date;
  id: string;
}

/** One window of finished sagas past the window, oldest first. */
export interface FinishedWindow {
  /** The sagas to archive and prune: the window without those whose outbox is not sent yet. */
  ids: string[];
  /** The last saga of the window, where the next one starts; undefined when it was empty. */
  next: FinishedCursor | undefined;
  /** Whether the window was full, so more may follow. */
  full: boolean;
}

/** How many ancestors a saga can have: sagas nest at most MAX_SUB_SAGA_NESTING levels deep. */
const MAX_ANCESTORS = MAX_SUB_SAGA_NESTING - 1;

/**
 * The id of the parent saga that started the saga `alias` (a row of saga_instances), or null.
 * The snapshot's link is what names the parent; the key's prefix (a short column beside the
 * row, where the snapshot is stored apart when large) spares reading the snapshot of sagas that
 * no parent started. The id is checked to be a UUID, so that no link can break the pruner.
 */
function parentOf(alias: string): string {
  const link = `${alias}.snapshot #>> '{parent,sagaId}'`;
  return `case when ${alias}.idempotency_key like '${CHILD_KEY_PREFIX}%' and ${link} ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then (${link})::uuid end`;
}

/**
 * Whether an ancestor of the window's saga `w` has not ended (one `?`: the terminal statuses).
 * A join per level rather than a recursive walk, since the depth is bounded: on a window of 200
 * (300,000 finished sagas, one in ten a child, warm cache) the walk took 110-170 ms, the joins
 * 25-50 ms; the window alone takes 1-2 ms, and reading, archiving and deleting it far longer.
 */
const ANCESTOR_NOT_ENDED = (() => {
  const levels = Array.from({ length: MAX_ANCESTORS }, (_, index) => `a${index + 1}`);
  const joins = levels.map(
    (alias, index) =>
      `left join saga_instances ${alias} on ${alias}.id = ${parentOf(index === 0 ? "c" : `a${index}`)}`,
  );
  const notEnded = levels.map((alias) => `not (${alias}.status = any(t.statuses))`);
  return `select 1 from saga_instances c ${joins.join(" ")}
    cross join (select ?::text[] as statuses) t
    where c.id = w.id and (${notEnded.join(" or ")})`;
})();

/**
 * The next `limit` finished sagas that finished before `cutoff`, oldest first, after `after`.
 * The window comes from the partial index saga_instances_finished_at alone (same status list,
 * same column), in its order and with a LIMIT, so the plan cannot turn into a scan of the whole
 * table: joined to the outbox in the same query, the planner scanned and sorted every finished
 * saga (2.5 s with a million of them) to pick 200. Those whose last messages are still in the
 * outbox are dropped from the window after it is taken, and the cursor moves past them, so a
 * saga waiting for the relay is neither archived run after run nor holds up the ones behind it.
 * A child saga whose parent has not ended is dropped the same way, and looked at again by the
 * next run's walk.
 */
export async function finishedBefore(
  knex: Knex,
  cutoff: Date,
  limit: number,
  after?: FinishedCursor,
): Promise<FinishedWindow> {
  const result = await knex.raw(
    `
    with window_ as materialized (
      select i.id, i.updated_at from saga_instances i
      where i.status = any(?::text[])
        and i.updated_at < ?
        ${after ? "and i.updated_at >= ? and (i.updated_at, i.id) > (?, ?::uuid)" : ""}
      order by i.updated_at, i.id
      limit ?
    )
    select w.id, w.updated_at,
      -- Uncorrelated, so one hashed pass over the outbox (it has no saga_id index), not one
      -- scan per saga.
      w.id in (select o.saga_id from saga_outbox o) as unsent,
      -- A child saga whose parent (or the parent's parent: children nest) has not ended: that
      -- parent may still compensate and ask this child to, and a completed child without a
      -- pivot then undoes itself. Pruned, it could not, and a request finding no child starts
      -- one already compensated, so the parent would be told its effects were undone.
      exists (${ANCESTOR_NOT_ENDED}) as parent_running
    from window_ w
    order by w.updated_at, w.id
    `,
    [
      TERMINAL_STATUSES as string[],
      cutoff,
      // The first bound starts the index scan at the cursor (the row comparison alone is a
      // filter, and the scan would walk again every entry behind it, deleted ones included).
      ...(after ? [after.updatedAt, after.updatedAt, after.id] : []),
      limit,
      TERMINAL_STATUSES as string[],
    ],
  );
  const rows = result.rows as {
    id: string;
    updated_at: Date | string;
    unsent: boolean;
    parent_running: boolean;
  }[];
  const last = rows.at(-1);
  return {
    ids: rows.filter((row) => !row.unsent && !row.parent_running).map((row) => row.id),
    next: last ? { updatedAt: new Date(last.updated_at), id: last.id } : undefined,
    full: rows.length === limit,
  };
}

/**
 * Reads the whole record of these sagas, without a lock: a finished saga no longer changes
 * state, and the delete checks that nothing was added since (revision, newest history row).
 * Each record comes back as its JSON line, built by Postgres (as jsonb, whose text has no
 * newline): parsing the rows' JSON in Node and writing it out again would hold the event loop,
 * which the sagas running meanwhile share.
 */
export async function readRecords(
  knex: Knex,
  ids: readonly string[],
): Promise<{ lines: string[]; versions: ArchivedVersion[] }> {
  if (ids.length === 0) return { lines: [], versions: [] };
  const result = await knex.raw(
    `
    select
      i.id,
      i.revision,
      coalesce(h.last_id, 0)::text as last_history_id,
      jsonb_build_object(
        'sagaId', i.id,
        'definition', jsonb_build_object(
          'name', i.saga_name, 'version', i.saga_version, 'hash', i.saga_hash
        ),
        'instance', to_jsonb(i),
        'history', coalesce(h.rows, '[]'::jsonb),
        'parkedMessages', coalesce(
          (select jsonb_agg(p order by p.id) from saga_outbox_parked p where p.saga_id = i.id),
          '[]'::jsonb
        )
      )::text as line
    from saga_instances i
    -- One pass over a saga's history gives both its rows and its newest id: its pages are
    -- cold (the saga finished long ago), and a second pass (without a vacuumed visibility
    -- map, even for the max) fetched them again.
    left join lateral (
      select max(h.id) as last_id, jsonb_agg(h order by h.id) as rows
      from saga_history h where h.saga_id = i.id
    ) h on true
    where i.id = any(?::uuid[])
    `,
    [[...ids]],
  );
  const rows = result.rows as {
    id: string;
    revision: number;
    last_history_id: string;
    line: string;
  }[];
  return {
    lines: rows.map((row) => row.line),
    versions: rows.map((row) => ({
      id: row.id,
      revision: Number(row.revision),
      lastHistoryId: row.last_history_id,
    })),
  };
}

/** Rows one prune statement removed, by table. */
export interface PrunedRows {
  sagas: number;
  history: number;
  parked: number;
  timers: number;
}

/**
 * Deletes the sagas of `versions` and records the archive object they are in, in one statement.
 * A saga is deleted only if, in that same statement, it is still finished, finished before
 * `cutoff`, at the revision it was archived at, has no history row newer than the archived
 * ones and no outbox row still to send; and only if no transaction holds its row (SKIP
 * LOCKED): a transition never waits on the pruner, the pruner leaves that saga for next time.
 * The index row is written by the statement that deletes, so it names exactly the sagas gone.
 */
export async function deleteArchived(
  knex: Knex,
  versions: readonly ArchivedVersion[],
  cutoff: Date,
  archive: { location: string | null; at: Date },
): Promise<PrunedRows> {
  if (versions.length === 0) return { sagas: 0, history: 0, parked: 0, timers: 0 };
  const result = await knex.raw(
    `
    with batch (id, revision, last_history_id) as (
      select * from unnest(?::uuid[], ?::integer[], ?::bigint[])
    ),
    doomed as (
      select i.id from saga_instances i
      join batch b on b.id = i.id
      where i.status = any(?::text[])
        and i.updated_at < ?
        and i.revision = b.revision
        and not exists (
          select 1 from saga_history h where h.saga_id = i.id and h.id > b.last_history_id
        )
        and not exists (select 1 from saga_outbox o where o.saga_id = i.id)
      for update of i skip locked
    ),
    history as (delete from saga_history where saga_id in (select id from doomed) returning 1),
    parked as (delete from saga_outbox_parked where saga_id in (select id from doomed) returning 1),
    timers as (delete from saga_timers where saga_id in (select id from doomed) returning 1),
    sagas as (delete from saga_instances where id in (select id from doomed) returning id),
    indexed as (
      insert into saga_archive_batches (location, archived_at, saga_count, saga_ids)
      select ?, ?, count(*), array_agg(id) from sagas having count(*) > 0
      returning id
    )
    select
      (select count(*) from sagas)::int as sagas,
      (select count(*) from history)::int as history,
      (select count(*) from parked)::int as parked,
      (select count(*) from timers)::int as timers,
      (select count(*) from indexed)::int as indexed
    `,
    [
      versions.map((v) => v.id),
      versions.map((v) => v.revision),
      versions.map((v) => v.lastHistoryId),
      TERMINAL_STATUSES as string[],
      cutoff,
      archive.location ?? NOT_ARCHIVED,
      archive.at,
    ],
  );
  const row = (result.rows as PrunedRows[])[0];
  return row ?? { sagas: 0, history: 0, parked: 0, timers: 0 };
}

/** The location recorded for sagas pruned with archiving turned off. */
export const NOT_ARCHIVED = "none";

/** What pruning removes by age besides sagas: the reply inbox and the archive index. */
export const PRUNED_BY_AGE = {
  /** Inbox rows, by when their reply was received. */
  inbox: { table: "saga_inbox", key: "message_id", time: "received_at" },
  /** Archive index rows, by when their batch was archived. */
  archiveIndex: { table: "saga_archive_batches", key: "id", time: "archived_at" },
} as const;

/**
 * Deletes at most `limit` rows whose `time` is before `cutoff`, skipping rows another replica's
 * batch holds, so two pruners never wait on each other; returns how many went.
 */
export async function deleteOlder(
  knex: Knex,
  rows: { table: string; key: string; time: string },
  cutoff: Date,
  limit: number,
): Promise<number> {
  return knex(rows.table)
    .whereIn(
      rows.key,
      knex(rows.table)
        .select(rows.key)
        .where(rows.time, "<", cutoff)
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .delete();
}

/** Where a pruned saga's record went. */
export interface ArchiveEntry {
  /** The archive object (s3://bucket/key or a file path), or "none" if it was not archived. */
  location: string;
  archivedAt: Date;
}

/**
 * The archive objects holding this saga, newest first. More than one means a prune was
 * interrupted between its write and its delete, and the next one wrote the saga again.
 */
export async function archiveEntriesOf(knex: Knex, sagaId: string): Promise<ArchiveEntry[]> {
  const rows = (await knex("saga_archive_batches")
    .select("location", "archived_at")
    .whereRaw("saga_ids @> array[?]::uuid[]", [sagaId])
    .orderBy("id", "desc")) as { location: string; archived_at: Date | string }[];
  return rows.map((row) => ({ location: row.location, archivedAt: new Date(row.archived_at) }));
}

/**
 * Of these ids, the ones the archive index holds, each with its newest entry: what the
 * dead-letter view joins a message of a pruned saga to. One GIN probe per id; ids that are not
 * UUIDs (dead letters are untrusted text) cannot name a saga and are left out.
 */
export async function prunedSagasOf(
  knex: Knex,
  ids: readonly string[],
): Promise<Map<string, ArchiveEntry>> {
  const uuids = [...new Set(ids)].filter((id) => UUID.test(id));
  const found = new Map<string, ArchiveEntry>();
  if (uuids.length === 0) return found;
  const result = await knex.raw(
    `
    select distinct on (x.id) x.id::text as id, b.location, b.archived_at
    from unnest(?::uuid[]) as x(id)
    join saga_archive_batches b on b.saga_ids @> array[x.id]
    order by x.id, b.id desc
    `,
    [uuids],
  );
  for (const row of result.rows as { id: string; location: string; archived_at: Date | string }[]) {
    found.set(row.id, { location: row.location, archivedAt: new Date(row.archived_at) });
  }
  return found;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The pause switch as stored (shared by every replica). */
export interface PauseState {
  paused: boolean;
  pausedBy: string | null;
  pausedAt: Date | null;
}

export async function readPause(knex: Knex): Promise<PauseState> {
  const row = (await knex("saga_retention_control")
    .where({ id: 1 })
    .first("paused", "paused_by", "paused_at")) as
    | { paused: boolean; paused_by: string | null; paused_at: Date | string | null }
    | undefined;
  return {
    paused: row?.paused ?? false,
    pausedBy: row?.paused_by ?? null,
    pausedAt: row?.paused_at ? new Date(row.paused_at) : null,
  };
}

export async function writePause(
  knex: Knex,
  paused: boolean,
  actor: string,
  now: Date,
): Promise<PauseState> {
  await knex("saga_retention_control")
    .where({ id: 1 })
    .update({ paused, paused_by: paused ? actor : null, paused_at: paused ? now : null });
  return readPause(knex);
}

/**
 * Takes or renews the pruning lease for `holder` until `until`; false when another replica
 * holds an unexpired one or pruning is paused. One replica prunes at a time, so replicas do not
 * archive the same sagas twice over; the lease, unlike a session advisory lock, holds no
 * connection and lapses on its own when its holder dies.
 */
export async function takeLease(
  knex: Knex,
  holder: string,
  now: Date,
  until: Date,
): Promise<boolean> {
  const taken = await knex("saga_retention_control")
    .where({ id: 1, paused: false })
    .andWhere((q) =>
      q.whereNull("lease_until").orWhere("lease_until", "<", now).orWhere("lease_holder", holder),
    )
    .update({ lease_holder: holder, lease_until: until });
  return taken > 0;
}

/** Gives the lease back, so another replica need not wait for it to lapse. */
export async function releaseLease(knex: Knex, holder: string): Promise<void> {
  await knex("saga_retention_control")
    .where({ id: 1, lease_holder: holder })
    .update({ lease_holder: null, lease_until: null });
}
