// Every statement on saga_outbox and saga_outbox_parked (the plain claims, deletes and retries
// are messaging's tableOutboxStore over saga_outbox). The relay in messaging keeps the
// sending mechanics; it reaches this table only through SagaOutboxStore.
import {
  type OutboxMessage as MessageRow,
  type OutboxParking,
  type OutboxRetry,
  type OutboxRow,
  type OutboxStore,
  outboxAvailableAt,
  tableOutboxStore,
} from "@sagaworks/messaging";
import type { Database, Knex } from "@sagaworks/platform";
import type { Effect } from "@sagaworks/saga-engine";
import { lockInstance, type SagaInstance } from "./instances.ts";

/**
 * An outbox row's message: an SQS/SNS message, or an HTTP call for the invoker: the engine's
 * `call-http` effect as it asked for it, with the saga and its trace context.
 */
export type OutboxMessage =
  | MessageRow
  | (Omit<Extract<Effect, { type: "call-http" }>, "type"> & {
      transport: "http";
      sagaId: string;
      /** W3C trace context of the saga, sent as the `traceparent` header (rows written before it had none). */
      traceparent?: string;
    });

/** An HTTP call waiting in the outbox. */
export type HttpCall = Extract<OutboxMessage, { transport: "http" }>;

/** A row of `saga_outbox`. */
export interface SagaOutboxRow {
  id: string;
  saga_id: string;
  kind: "sqs" | "sns" | "http";
  destination: string;
  message: OutboxMessage;
  attempts: number;
}

/** A row to write: everything but what the database assigns. */
export type NewOutboxRow = Omit<SagaOutboxRow, "id" | "attempts">;

/** A message an operator must look at: it could not be sent and was taken out of the outbox. */
export interface ParkedMessage {
  id: string;
  kind: string;
  destination: string;
  /** The envelope's name (`CreateOrder`, `saga.started`) or the HTTP call's path. */
  name: string | null;
  attempts: number;
  reason: string;
  parkedAt: Date;
}

/** Whether a row is an SQS/SNS message for the relay (not an HTTP call for the invoker). */
export function isMessageRow(row: SagaOutboxRow): row is SagaOutboxRow & { message: MessageRow } {
  return row.message.transport !== "http";
}

/**
 * How long past its timeout an HTTP call stays leased to the process making it: room to record
 * the answer after the call returned. If that process dies mid-call the lease runs out and
 * another replica makes the call again (same Idempotency-Key header), so this margin is what an
 * orchestrator's crash adds to a saga waiting on an HTTP step.
 */
export const HTTP_LEASE_MARGIN_MS = 5_000;

/**
 * Inserts outbox rows in the writer's transaction. Messages are leased to this process, which
 * sends them right after the commit; HTTP calls are leased to it too (for their timeout plus
 * {@link HTTP_LEASE_MARGIN_MS}, one attempt counted), and it makes them right after the commit,
 * with no claim of its own. `leased: false` makes every row due at once for any replica's poll.
 */
export async function insertOutboxRows(
  trx: Knex,
  rows: readonly NewOutboxRow[],
  now: Date,
  options: { leased: boolean } = { leased: true },
): Promise<SagaOutboxRow[]> {
  if (rows.length === 0) return [];
  const inserted = (await trx("saga_outbox")
    .insert(outboxColumns(rows, now, options))
    .returning("id")) as { id: string | number }[];
  return withOutboxIds(rows, inserted);
}

/** The columns of new outbox rows (see {@link insertOutboxRows} for `leased`). */
export function outboxColumns(
  rows: readonly NewOutboxRow[],
  now: Date,
  options: { leased: boolean },
): Record<string, unknown>[] {
  return rows.map((row) => {
    let availableAt = now;
    if (options.leased) {
      availableAt =
        row.message.transport === "http"
          ? new Date(now.getTime() + row.message.timeoutMs + HTTP_LEASE_MARGIN_MS)
          : outboxAvailableAt(now);
    }
    return {
      ...row,
      message: JSON.stringify(row.message),
      // A leased call is being made by its writer: the attempt is counted as a claim would.
      attempts: row.kind === "http" && options.leased ? 1 : 0,
      available_at: availableAt,
      created_at: now,
    };
  });
}

/** The rows as written, with the ids the insert returned (in the order of `rows`). */
export function withOutboxIds(
  rows: readonly NewOutboxRow[],
  inserted: readonly { id: string | number }[],
): SagaOutboxRow[] {
  return rows.map((row, index) => ({ ...row, id: String(inserted[index]?.id), attempts: 0 }));
}

/** Whether a row is an HTTP call (for the invoker, not the relay). */
export function isHttpRow(row: SagaOutboxRow): boolean {
  return row.kind === "http";
}

/**
 * Claims up to `limit` due HTTP calls and leases each for its timeout plus `marginMs`, in one
 * statement: SKIP LOCKED keeps replicas off each other's rows, and if this process dies mid-call
 * the lease runs out and another replica makes the call again (same Idempotency-Key).
 */
export async function claimHttpCalls(
  knex: Knex,
  now: Date,
  limit: number,
  marginMs: number,
): Promise<SagaOutboxRow[]> {
  // Look before claiming: most wake-ups follow commits that wrote no HTTP call, and an idle
  // invoker should not write or commit.
  const due = await knex("saga_outbox")
    .where("kind", "http")
    .andWhere("available_at", "<=", now)
    .first("id");
  if (!due) return [];
  const rows = (await knex("saga_outbox")
    .whereIn(
      "id",
      knex("saga_outbox")
        .select("id")
        .where("kind", "http")
        .andWhere("available_at", "<=", now)
        .orderBy("id")
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .update({
      attempts: knex.raw("attempts + 1"),
      available_at: knex.raw(
        "?::timestamptz + ((message->>'timeoutMs')::int + ?) * interval '1 millisecond'",
        [now, marginMs],
      ),
    })
    .returning(["id", "saga_id", "kind", "destination", "message", "attempts"])) as SagaOutboxRow[];
  return rows.map((row) => ({ ...row, id: String(row.id) }));
}

/** An outbox row as an operator sees it: still waiting to be sent (or sent, until the next commit). */
export interface PendingOutboxRow {
  id: string;
  kind: string;
  destination: string;
  message: OutboxMessage;
  attempts: number;
  lastError: string | null;
  availableAt: Date;
  createdAt: Date;
}

/** A saga's rows still in the outbox, oldest first (what the inspector shows). */
export async function outboxRowsOf(knex: Knex, sagaId: string): Promise<PendingOutboxRow[]> {
  const rows = (await knex("saga_outbox")
    .where({ saga_id: sagaId })
    .orderBy("id", "asc")
    .select(
      "id",
      "kind",
      "destination",
      "message",
      "attempts",
      "last_error",
      "available_at",
      "created_at",
    )) as {
    id: string | number;
    kind: string;
    destination: string;
    message: OutboxMessage;
    attempts: number;
    last_error: string | null;
    available_at: Date | string;
    created_at: Date | string;
  }[];
  return rows.map((row) => ({
    id: String(row.id),
    kind: row.kind,
    destination: row.destination,
    message: row.message,
    attempts: row.attempts,
    lastError: row.last_error,
    availableAt: new Date(row.available_at),
    createdAt: new Date(row.created_at),
  }));
}

/** The messages of a saga that were parked, oldest first. */
export async function listParked(knex: Knex, sagaId: string): Promise<ParkedMessage[]> {
  const rows = (await knex("saga_outbox_parked")
    .where({ saga_id: sagaId })
    .orderBy("id")
    .select("id", "kind", "destination", "message", "attempts", "reason", "parked_at")) as {
    id: string | number;
    kind: string;
    destination: string;
    message: OutboxMessage;
    attempts: number;
    reason: string;
    parked_at: Date | string;
  }[];
  return rows.map((row) => ({
    id: String(row.id),
    kind: row.kind,
    destination: row.destination,
    name: messageName(row.message),
    attempts: row.attempts,
    reason: row.reason,
    parkedAt: new Date(row.parked_at),
  }));
}

function messageName(message: OutboxMessage): string | null {
  if (message.transport === "http") return `${message.method} ${message.path}`;
  return message.attributes?.name ?? null;
}

/** What happens to a saga whose message was parked, in the parking's transaction. */
export type AfterPark = (
  trx: Knex.Transaction,
  instance: SagaInstance,
  parked: { outboxId: string; reason: string },
  now: Date,
) => Promise<void>;

/**
 * The relay's view of `saga_outbox` (see {@link OutboxStore} for the contract). Parking moves the
 * row into `saga_outbox_parked` and lets `afterPark` move its saga on, in one transaction that
 * locks the instance first: the same lock order as every transition, so parking never
 * deadlocks with a reply being applied to that saga.
 */
export class SagaOutboxStore implements OutboxStore {
  private readonly db: Database;
  private readonly afterPark: AfterPark;
  /** Claims, deletes and retries are a plain outbox table's; only parking is the saga's own. */
  private readonly table: OutboxStore;

  constructor(db: Database, afterPark: AfterPark) {
    this.db = db;
    this.afterPark = afterPark;
    this.table = tableOutboxStore(db, "saga_outbox");
  }

  anyDue(now: Date): Promise<boolean> {
    return this.table.anyDue(now);
  }

  claimDue<T>(
    now: Date,
    limit: number,
    work: (rows: OutboxRow[], trx: Knex.Transaction) => Promise<T>,
  ): Promise<T> {
    return this.table.claimDue(now, limit, work);
  }

  deleteRows(ids: readonly string[], trx?: Knex): Promise<void> {
    return this.table.deleteRows(ids, trx);
  }

  reschedule(retries: readonly OutboxRetry[], trx?: Knex): Promise<void> {
    return this.table.reschedule(retries, trx);
  }

  async park(parkings: readonly OutboxParking[], now: Date): Promise<void> {
    for (const { row, reason } of parkings) {
      const owner = (await this.db.knex("saga_outbox").where({ id: row.id }).first("saga_id")) as
        | { saga_id: string }
        | undefined;
      // Gone: sent after all by another replica, or parked by it.
      if (!owner) continue;
      await this.db.knex.transaction(async (trx) => {
        const instance = await lockInstance(trx, owner.saga_id);
        const [moved] = (await trx("saga_outbox")
          .where({ id: row.id })
          .delete()
          .returning(["id", "saga_id", "kind", "destination", "message", "attempts"])) as {
          id: string | number;
          saga_id: string;
          kind: string;
          destination: string;
          message: OutboxMessage;
          attempts: number;
        }[];
        if (!moved) return;
        await trx("saga_outbox_parked").insert({
          id: moved.id,
          saga_id: moved.saga_id,
          kind: moved.kind,
          destination: moved.destination,
          message: JSON.stringify(moved.message),
          attempts: Math.max(moved.attempts, row.attempts),
          reason: reason.slice(0, 2000),
          parked_at: now,
        });
        if (instance)
          await this.afterPark(trx, instance, { outboxId: String(moved.id), reason }, now);
      });
    }
  }
}

/** Outbox rows waiting to be sent (messages and HTTP calls) and the creation time of the oldest. */
export async function outboxBacklog(
  knex: Knex,
): Promise<{ kind: string; pending: number; oldest: Date | null }[]> {
  const rows = (await knex("saga_outbox")
    .groupBy("kind")
    .select("kind")
    .count({ pending: "*" })
    .min({ oldest: "created_at" })) as {
    kind: string;
    pending: string | number;
    oldest: Date | string | null;
  }[];
  return rows.map((row) => ({
    kind: row.kind,
    pending: Number(row.pending),
    oldest: row.oldest === null ? null : new Date(row.oldest),
  }));
}
