import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Database, Knex, Logger } from "@sagaworks/platform";
import type { BatchReport } from "../batching.ts";
import { type OutgoingMessage, publishToTopic, sendToQueue } from "../producer.ts";

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

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  db: Database;
  /** The outbox table, made by {@link createOutboxTable}. */
  table: string;
  sqs: SQSClient;
  /** Needed only when the table holds `sns` rows. */
  sns?: SNSClient;
  logger: Logger;
  /** Counts the transactions that sent something (for cost measurements). */
  metrics?: { commits: number };
  clock?: () => Date;
  /** Fallback poll for rows nobody dispatched (a crash after commit); defaults to 500 ms. */
  pollIntervalMs?: number;
  /** Rows claimed per transaction; defaults to 100. */
  batchSize?: number;
}

/**
 * Sends outbox rows to SQS and SNS. Rows written by a commit are dispatched right after it
 * (rows written while a dispatch is under way share the next one); a poll picks up
 * whatever a crashed process left. Rows are claimed with `FOR UPDATE SKIP LOCKED`, so replicas
 * never send the same row at once; a row is deleted in the transaction that sent it. A crash
 * between the send and the commit sends the row again: receivers deduplicate on message id.
 */
export class OutboxRelay {
  private readonly options: Required<Omit<OutboxRelayOptions, "clock" | "metrics" | "sns">> & {
    sns: SNSClient | undefined;
    clock: () => Date;
    metrics: { commits: number };
  };
  private pending = new Set<string>();
  private dispatching = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(options: OutboxRelayOptions) {
    this.options = {
      pollIntervalMs: 500,
      batchSize: 100,
      clock: () => new Date(),
      metrics: { commits: 0 },
      sns: undefined,
      ...options,
    };
  }

  /** Starts the fallback poll. */
  start(): void {
    this.running = true;
    const poll = () => {
      if (!this.running) return;
      void this.track(this.dispatch()).finally(() => {
        if (this.running) this.pollTimer = setTimeout(poll, this.options.pollIntervalMs);
      });
    };
    this.pollTimer = setTimeout(poll, this.options.pollIntervalMs);
  }

  /** Stops polling and waits for sends under way. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.pollTimer);
    if (this.pending.size > 0) await this.track(this.dispatch([...this.pending]));
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Asks for these rows to be sent (called after the commit that wrote them). Like a group
   * commit: when no dispatch is under way the rows go at once; while one is, new rows gather and
   * leave together when it ends. Light load gets low latency, saturation gets full batches.
   */
  notify(ids: readonly string[]): void {
    for (const id of ids) this.pending.add(id);
    this.kick();
  }

  private kick(): void {
    if (this.dispatching || this.pending.size === 0) return;
    this.dispatching = true;
    const ids = [...this.pending];
    this.pending = new Set();
    void this.track(this.dispatch(ids)).finally(() => {
      this.dispatching = false;
      this.kick();
    });
  }

  private track<T>(work: Promise<T>): Promise<T | undefined> {
    const guarded = work.catch((error: unknown) => {
      this.options.logger.error({ err: error }, "outbox dispatch failed; the poll will retry");
      return undefined;
    });
    this.inFlight.add(guarded);
    void guarded.finally(() => this.inFlight.delete(guarded));
    return guarded;
  }

  /** Claims and sends due rows (only `ids` when given); returns how many were sent. */
  async dispatch(ids?: readonly string[]): Promise<number> {
    const { db, table, batchSize, clock } = this.options;
    if (!ids) {
      // The poll looks first without a transaction: an idle relay should not write or commit.
      const due = await db
        .knex(table)
        .whereIn("kind", ["sqs", "sns"])
        .andWhere("available_at", "<=", clock())
        .first("id");
      if (!due) return 0;
    }
    let wrote = false;
    const sent = await db.knex.transaction(async (trx) => {
      const now = clock();
      let query = trx(table)
        .whereIn("kind", ["sqs", "sns"])
        .andWhere("available_at", "<=", now)
        .orderBy("id")
        .limit(batchSize)
        .forUpdate()
        .skipLocked();
      if (ids) query = query.whereIn("id", ids);
      const rows = (await query.select(
        "id",
        "kind",
        "destination",
        "message",
        "attempts",
      )) as OutboxRow[];
      if (rows.length === 0) return 0;
      const groups = new Map<string, OutboxRow[]>();
      for (const row of rows) {
        const key = `${row.kind} ${row.destination}`;
        groups.set(key, [...(groups.get(key) ?? []), row]);
      }
      let count = 0;
      wrote = true;
      for (const group of groups.values()) count += await this.sendGroup(trx, group, now);
      return count;
    });
    if (wrote) this.options.metrics.commits++;
    return sent;
  }

  private requireSns(): SNSClient {
    if (!this.options.sns)
      throw new Error(`${this.options.table} holds SNS rows but the relay has no SNS client`);
    return this.options.sns;
  }

  private async sendGroup(trx: Knex, rows: OutboxRow[], now: Date): Promise<number> {
    const first = rows[0] as OutboxRow;
    const messages = rows.map((row) => {
      const { transport: _transport, ...message } = row.message;
      return message;
    });
    let report: BatchReport;
    try {
      report =
        first.kind === "sqs"
          ? await sendToQueue(this.options.sqs, first.destination, messages)
          : await publishToTopic(this.requireSns(), first.destination, messages);
    } catch (error) {
      // Refused before sending (too large, too many attributes): the row can never go out as is.
      report = {
        sent: [],
        failed: rows.map((_, index) => ({
          index,
          code: (error as { code?: string }).code ?? "SEND_FAILED",
          message: (error as Error).message,
          senderFault: true,
        })),
        calls: 0,
      };
    }
    const sentIds = report.sent.map((entry) => (rows[entry.index] as OutboxRow).id);
    if (sentIds.length > 0) await trx(this.options.table).whereIn("id", sentIds).delete();
    for (const failure of report.failed) {
      const row = rows[failure.index] as OutboxRow;
      const delayMs = Math.min(60_000, 500 * 2 ** row.attempts);
      this.options.logger.error(
        {
          table: this.options.table,
          outboxId: row.id,
          destination: row.destination,
          code: failure.code,
          retryInMs: delayMs,
        },
        `outbox message not accepted: ${failure.message}`,
      );
      await trx(this.options.table)
        .where({ id: row.id })
        .update({
          attempts: row.attempts + 1,
          last_error: `${failure.code}: ${failure.message}`.slice(0, 2000),
          available_at: new Date(now.getTime() + delayMs),
        });
    }
    return sentIds.length;
  }
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
