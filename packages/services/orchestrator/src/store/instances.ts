// Every statement on saga_instances, and its one mapping between columns and objects.
import type { Knex } from "@sagaworks/platform";
import type { SagaSnapshot, SagaStatus } from "@sagaworks/saga-engine";
import { currentSnapshot } from "../legacy/pending-by-step.ts";

/** One saga instance as the runtime and the API see it. */
export interface SagaInstance {
  id: string;
  name: string;
  version: number;
  hash: string;
  status: SagaStatus;
  state: string;
  snapshot: SagaSnapshot;
  /** Bumped on every applied transition: an ETag for readers and a cheap change check. */
  revision: number;
  idempotencyKey: string | null;
  traceId: string;
  /** Replies that named a step this saga does not have (only the first few are in history). */
  junkReplies: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What a list of sagas shows of each. */
export type SagaSummary = Pick<
  SagaInstance,
  "id" | "name" | "version" | "status" | "state" | "createdAt" | "updatedAt"
>;

/** A position in the newest-first order of sagas: the last one of a page. */
export interface SagaPosition {
  createdAt: Date;
  id: string;
}

/** Filters and page of {@link listInstances}. */
export interface SagaListQuery {
  status?: SagaStatus | undefined;
  name?: string | undefined;
  /** Only sagas created at or after this time. */
  createdAfter?: Date | undefined;
  /** Text anywhere in the input, or a prefix of the saga id. */
  text?: string | undefined;
  limit: number;
  /** Only sagas after this one in the order (older, or as old with a smaller id). */
  after?: SagaPosition | undefined;
}

/** A saga_instances row as Postgres returns it. */
export interface InstanceColumns {
  id: string;
  saga_name: string;
  saga_version: number;
  saga_hash: string;
  status: SagaStatus;
  state: string;
  snapshot: SagaSnapshot;
  revision: number;
  idempotency_key: string | null;
  trace_id: string;
  junk_replies: number;
  created_at: Date | string;
  updated_at: Date | string;
}

/** The one mapping from a saga_instances row to a {@link SagaInstance}. */
export function toInstance(row: InstanceColumns): SagaInstance {
  return {
    id: row.id,
    name: row.saga_name,
    version: row.saga_version,
    hash: row.saga_hash,
    status: row.status,
    state: row.state,
    snapshot: currentSnapshot(row.snapshot),
    revision: row.revision,
    idempotencyKey: row.idempotency_key,
    traceId: row.trace_id,
    junkReplies: row.junk_replies,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** The id of the saga started with this idempotency key, if any. */
export async function findIdByIdempotencyKey(knex: Knex, key: string): Promise<string | undefined> {
  const row = (await knex("saga_instances").where({ idempotency_key: key }).first("id")) as
    | { id: string }
    | undefined;
  return row?.id;
}

/**
 * Reads an instance and locks its row until `trx` ends (`FOR UPDATE`), for a writer that needs
 * several statements (the outbox's parking). The runtime's version-checked write waits on this
 * lock and then finds the revision bumped, so it reads the saga again.
 */
export async function lockInstance(trx: Knex, id: string): Promise<SagaInstance | undefined> {
  const row = (await trx("saga_instances").where({ id }).forUpdate().first()) as
    | InstanceColumns
    | undefined;
  return row ? toInstance(row) : undefined;
}

/** Reads an instance without a lock. */
export async function getInstance(knex: Knex, id: string): Promise<SagaInstance | undefined> {
  const row = (await knex("saga_instances").where({ id }).first()) as InstanceColumns | undefined;
  return row ? toInstance(row) : undefined;
}

/** Writes a new snapshot of a locked instance (at `revision`: one more than it had). */
export async function saveSnapshot(
  trx: Knex,
  snapshot: SagaSnapshot,
  revision: number,
  now: Date,
): Promise<void> {
  await trx("saga_instances")
    .where({ id: snapshot.sagaId })
    .update({
      status: snapshot.status,
      state: snapshot.state,
      snapshot: JSON.stringify(snapshot),
      revision,
      updated_at: now,
    });
}

/** Sagas newest first, filtered; `limit` rows at most. */
export async function listInstances(knex: Knex, query: SagaListQuery): Promise<SagaSummary[]> {
  let select = knex("saga_instances")
    .select("id", "saga_name", "saga_version", "status", "state", "created_at", "updated_at")
    .orderBy([
      { column: "created_at", order: "desc" },
      { column: "id", order: "desc" },
    ])
    .limit(query.limit);
  if (query.status) select = select.where({ status: query.status });
  select = whereFiltered(select, query);
  if (query.text) {
    const text = query.text;
    const pattern = `%${likeEscape(text)}%`;
    select = select.where((where) => {
      where.whereRaw("(snapshot -> 'input')::text ILIKE ?", [pattern]);
      if (/^[0-9a-f-]+$/i.test(text)) {
        where.orWhereRaw("id::text LIKE ?", [`${likeEscape(text.toLowerCase())}%`]);
      }
    });
  }
  if (query.after) {
    // The cursor helper has already checked both values; the casts cannot fail.
    select = select.whereRaw("(created_at, id) < (?::timestamptz, ?::uuid)", [
      query.after.createdAt.toISOString(),
      query.after.id,
    ]);
  }
  const rows = (await select) as Pick<
    InstanceColumns,
    "id" | "saga_name" | "saga_version" | "status" | "state" | "created_at" | "updated_at"
  >[];
  return rows.map((row) => ({
    id: row.id,
    name: row.saga_name,
    version: row.saga_version,
    status: row.status,
    state: row.state,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }));
}

/** `%` and `_` are LIKE wildcards; a search for them means the characters themselves. */
const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The filters every saga list shares: the definition's name and the age. */
export interface SagaFilters {
  name?: string | undefined;
  createdAfter?: Date | undefined;
}

function whereFiltered(select: Knex.QueryBuilder, filters: SagaFilters): Knex.QueryBuilder {
  let query = select;
  if (filters.name) query = query.where({ saga_name: filters.name });
  if (filters.createdAfter) query = query.where("created_at", ">=", filters.createdAfter);
  return query;
}

/** How many sagas are in each status, filtered; statuses with none are absent. */
export async function countByStatus(
  knex: Knex,
  filters: SagaFilters,
): Promise<Partial<Record<SagaStatus, number>>> {
  const rows = (await whereFiltered(knex("saga_instances"), filters)
    .select("status")
    .count({ count: "*" })
    .groupBy("status")) as { status: SagaStatus; count: string | number }[];
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
}

/** Sagas not yet finished, by name and status, and how many are past their deadline. */
export interface OpenSagaCounts {
  byStatus: { name: string; status: string; count: number }[];
  pastDeadline: { name: string; count: number }[];
}

/**
 * Counts the sagas that are not finished, for the metrics. Only open statuses are read, through
 * the (status, created_at) index, so the cost follows the open sagas, not the whole table
 * (finished ones are counted by `sagaworks_sagas_finished_total` instead).
 */
export async function countOpenSagas(
  knex: Knex,
  openStatuses: readonly string[],
  now: Date,
): Promise<OpenSagaCounts> {
  const rows = (await knex("saga_instances")
    .whereIn("status", openStatuses)
    .groupBy("saga_name", "status")
    .select("saga_name", "status")
    .count({ count: "*" })
    .select(
      knex.raw(
        "count(*) filter (where (snapshot->>'deadlineAt')::timestamptz < ?) as past_deadline",
        [now.toISOString()],
      ),
    )) as {
    saga_name: string;
    status: string;
    count: string | number;
    past_deadline: string | number;
  }[];
  const pastDeadline = new Map<string, number>();
  for (const row of rows) {
    pastDeadline.set(
      row.saga_name,
      (pastDeadline.get(row.saga_name) ?? 0) + Number(row.past_deadline),
    );
  }
  return {
    byStatus: rows.map((row) => ({
      name: row.saga_name,
      status: row.status,
      count: Number(row.count),
    })),
    pastDeadline: [...pastDeadline].map(([name, count]) => ({ name, count })),
  };
}

/** How many unfinished sagas one definition version has in one status and state. */
export interface InFlightCount {
  name: string;
  version: number;
  hash: string;
  status: string;
  state: string;
  count: number;
}

/**
 * Unfinished sagas by name, version, status and state: what must still run on each stored
 * definition version. Reads only the given statuses, through the (status, created_at) index.
 */
export async function countInFlight(
  knex: Knex,
  statuses: readonly string[],
  name?: string,
): Promise<InFlightCount[]> {
  let select = knex("saga_instances").whereIn("status", statuses);
  if (name) select = select.where({ saga_name: name });
  const rows = (await select
    .groupBy("saga_name", "saga_version", "saga_hash", "status", "state")
    .select("saga_name", "saga_version", "saga_hash", "status", "state")
    .count({ count: "*" })
    .orderBy([
      { column: "saga_name" },
      { column: "saga_version" },
      { column: "status" },
      { column: "state" },
    ])) as {
    saga_name: string;
    saga_version: number;
    saga_hash: string;
    status: string;
    state: string;
    count: string | number;
  }[];
  return rows.map((row) => ({
    name: row.saga_name,
    version: Number(row.saga_version),
    hash: row.saga_hash,
    status: row.status,
    state: row.state,
    count: Number(row.count),
  }));
}
