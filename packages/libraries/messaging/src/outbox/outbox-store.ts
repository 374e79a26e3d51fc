import type { Database, Knex } from "@sagaworks/platform";
import type { OutgoingMessage } from "../producer.ts";
import type { SentRowDeleter } from "./hand-off.ts";

/** What an outbox row holds for SQS or SNS: the message as the producer sends it. */
export type OutboxMessage = { transport: "sqs" | "sns" } & OutgoingMessage;

/** The columns the relay reads; tables may have more (the orchestrator's has `saga_id`). */
export interface OutboxRow {
  id: string;
  kind: string;
  destination: string;
  message: OutboxMessage;
  attempts: number;
}

/** A row the broker (or the check before it) did not accept, and when to try it again. */
export interface OutboxRetry {
  row: OutboxRow;
  /** `CODE: message`, kept on the row for operators. */
  error: string;
  retryAt: Date;
}

/** A row that will never be sent as it is: too large, refused, or out of attempts. */
export interface OutboxParking {
  row: OutboxRow;
  /** Why it is parked, for operators. */
  reason: string;
}

/**
 * Where a relay's rows live. The relay keeps the mechanics (leases, batching, hand-off, retry
 * and parking decisions); the table's owner keeps every SQL statement behind this contract.
 *
 * Contract: `claimDue` locks the rows it hands over so that no other replica claims them before
 * `work` returns (`FOR UPDATE SKIP LOCKED`), and runs `work` in that same transaction; rows
 * deleted or rescheduled through `trx` are so only if that transaction commits.
 */
export interface OutboxStore extends SentRowDeleter {
  /** A cheap look without a transaction: does any row's lease run out by `now`? */
  anyDue(now: Date): Promise<boolean>;
  /** Claims up to `limit` due SQS/SNS rows, oldest first, and runs `work` on them. */
  claimDue<T>(
    now: Date,
    limit: number,
    work: (rows: OutboxRow[], trx: Knex.Transaction) => Promise<T>,
  ): Promise<T>;
  /** Records failed attempts: one more attempt, the error, and the time of the next one. */
  reschedule(retries: readonly OutboxRetry[], trx?: Knex): Promise<void>;
  /**
   * Takes rows out of the sending path for good, in transactions of its own; nothing is lost:
   * the row stays readable (a dead-letter table or a parked state) with its reason.
   */
  park(parkings: readonly OutboxParking[], now: Date): Promise<void>;
}

/** The parked state of a plain outbox table: a lease that never runs out. */
const NEVER = "infinity";

/**
 * The store of a plain outbox table made by {@link createOutboxTable}. A parked row stays in
 * the table with its error and `available_at = 'infinity'`, so no poll picks it up again.
 */
export function tableOutboxStore(db: Database, table: string): OutboxStore {
  return {
    async anyDue(now) {
      const due = await db
        .knex(table)
        .whereIn("kind", ["sqs", "sns"])
        .andWhere("available_at", "<=", now)
        .first("id");
      return due !== undefined;
    },
    claimDue(now, limit, work) {
      return db.knex.transaction(async (trx) => {
        const rows = (await trx(table)
          .whereIn("kind", ["sqs", "sns"])
          .andWhere("available_at", "<=", now)
          .orderBy("id")
          .limit(limit)
          .forUpdate()
          .skipLocked()
          .select("id", "kind", "destination", "message", "attempts")) as OutboxRow[];
        return work(rows, trx);
      });
    },
    async deleteRows(ids, trx) {
      if (ids.length > 0) await (trx ?? db.knex)(table).whereIn("id", ids).delete();
    },
    async reschedule(retries, trx) {
      if (retries.length === 0) return;
      // One commit for the whole batch of failures, not one per row.
      if (!trx) return db.knex.transaction((own) => this.reschedule(retries, own));
      for (const { row, error, retryAt } of retries) {
        await trx(table)
          .where({ id: row.id })
          .update({
            attempts: row.attempts + 1,
            last_error: error.slice(0, 2000),
            available_at: retryAt,
          });
      }
    },
    async park(parkings) {
      for (const { row, reason } of parkings) {
        await db
          .knex(table)
          .where({ id: row.id })
          .update({ last_error: reason.slice(0, 2000), available_at: NEVER });
      }
    },
  };
}

/**
 * Creates an outbox table the relay can read: `kind` is `sqs`, `sns` or anything else the owner
 * handles itself (the orchestrator keeps HTTP calls there too). Use it inside a migration.
 */
export async function createOutboxTable(
  knex: Knex,
  table: string,
  extra?: (builder: Knex.CreateTableBuilder) => void,
): Promise<void> {
  await knex.schema.createTable(table, (builder) => {
    builder.bigIncrements("id").primary();
    builder.text("kind").notNullable();
    builder.text("destination").notNullable();
    builder.jsonb("message").notNullable();
    builder.integer("attempts").notNullable().defaultTo(0);
    builder.text("last_error");
    builder.timestamp("available_at", { useTz: true }).notNullable();
    builder.timestamp("created_at", { useTz: true }).notNullable();
    builder.index(["available_at", "id"]);
    extra?.(builder);
  });
}
