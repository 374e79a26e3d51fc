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
  /** How long sent rows wait for a caller's transaction to delete them; defaults to 100 ms. */
  deleteDelayMs?: number;
}

/**
 * How long a freshly written row is reserved for the process that wrote it. That process sends
 * it right after its commit; only if it dies first does the poll of any replica pick the row up,
 * once this lease runs out. Writers set `available_at = now + OUTBOX_LEASE_MS`.
 */
export const OUTBOX_LEASE_MS = 10_000;

/** The earliest time a row written at `now` may be sent by the poll. */
export function outboxAvailableAt(now: Date): Date {
  return new Date(now.getTime() + OUTBOX_LEASE_MS);
}

/**
 * Sends outbox rows to SQS and SNS.
 *
 * Rows written by a commit are sent right after it by the process that wrote them (rows written
 * while a send is under way share the next one, like a group commit). That send takes no lock
 * and no transaction: the rows are leased to this process (see {@link OUTBOX_LEASE_MS}). Sent
 * rows are deleted later, together: either inside the caller's next transaction
 * ({@link takeSent}), which costs no commit of its own, or by a short timer.
 *
 * The poll is the fallback for rows whose lease ran out (the writer crashed, or a send failed):
 * it claims them with `FOR UPDATE SKIP LOCKED`, so replicas never send the same row at once, and
 * deletes them in the transaction that sent them. A crash between a send and its delete sends
 * the row again; receivers deduplicate on message id.
 */
export class OutboxRelay {
  private readonly options: Required<
    Omit<OutboxRelayOptions, "clock" | "metrics" | "sns" | "deleteDelayMs">
  > & {
    sns: SNSClient | undefined;
    clock: () => Date;
    metrics: { commits: number };
    deleteDelayMs: number;
  };
  private pending = new Map<string, OutboxRow>();
  private dispatching = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private sent: string[] = [];
  private deleteTimer: NodeJS.Timeout | undefined;

  constructor(options: OutboxRelayOptions) {
    this.options = {
      pollIntervalMs: 500,
      batchSize: 100,
      clock: () => new Date(),
      metrics: { commits: 0 },
      sns: undefined,
      deleteDelayMs: 100,
      ...options,
    };
  }

  /** Starts the fallback poll. */
  start(): void {
    this.running = true;
    const poll = () => {
      if (!this.running) return;
      void this.track(this.pollOnce()).finally(() => {
        if (this.running) this.pollTimer = setTimeout(poll, this.options.pollIntervalMs);
      });
    };
    this.pollTimer = setTimeout(poll, this.options.pollIntervalMs);
  }

  /** Stops polling, sends what is pending, waits for sends under way and deletes what was sent. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.pollTimer);
    while (this.pending.size > 0 || this.dispatching) {
      this.kick();
      await Promise.allSettled([...this.inFlight]);
    }
    await Promise.allSettled([...this.inFlight]);
    await this.flushDeletes();
  }

  /**
   * Asks for these rows to be sent (called after the commit that wrote them, with what it wrote). When no send is
   * under way the rows go at once; while one is, new rows gather and leave together when it
   * ends. Light load gets low latency, saturation gets full batches.
   */
  notify(rows: readonly OutboxRow[]): void {
    // The writer hands over the rows it just committed, so they need not be read back.
    for (const row of rows) {
      if (row.kind === "sqs" || row.kind === "sns") this.pending.set(String(row.id), row);
    }
    this.kick();
  }

  /**
   * Hands over the ids of rows sent but not yet deleted, for the caller to delete inside a
   * transaction it is about to commit anyway. Give them back with {@link giveBack} if that
   * transaction fails.
   */
  takeSent(): string[] {
    const ids = this.sent;
    this.sent = [];
    return ids;
  }

  /** Returns ids taken with {@link takeSent} whose delete did not commit. */
  giveBack(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.sent.push(...ids);
    this.scheduleDeletes();
  }

  private kick(): void {
    if (this.dispatching || this.pending.size === 0) return;
    this.dispatching = true;
    const rows = [...this.pending.values()];
    this.pending = new Map();
    void this.track(this.sendLeased(rows)).finally(() => {
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

  /** Sends rows this process wrote and still holds the lease on; returns how many went out. */
  private async sendLeased(rows: readonly OutboxRow[]): Promise<number> {
    const { db, clock } = this.options;
    let count = 0;
    for (const group of groupByDestination(rows)) {
      const { sentIds, failures } = await this.sendGroup(group);
      this.sent.push(...sentIds);
      count += sentIds.length;
      if (failures.length > 0) {
        await db.knex.transaction((trx) => this.recordFailures(trx, failures, clock()));
        this.options.metrics.commits++;
      }
    }
    this.scheduleDeletes();
    return count;
  }

  /** Claims rows whose lease ran out and sends them; returns how many were sent. */
  async pollOnce(): Promise<number> {
    const { db, table, batchSize, clock } = this.options;
    // Look first without a transaction: an idle relay should not write or commit.
    const due = await db
      .knex(table)
      .whereIn("kind", ["sqs", "sns"])
      .andWhere("available_at", "<=", clock())
      .first("id");
    if (!due) return 0;
    let wrote = false;
    const sent = await db.knex.transaction(async (trx) => {
      const now = clock();
      const rows = (await trx(table)
        .whereIn("kind", ["sqs", "sns"])
        .andWhere("available_at", "<=", now)
        .orderBy("id")
        .limit(batchSize)
        .forUpdate()
        .skipLocked()
        .select("id", "kind", "destination", "message", "attempts")) as OutboxRow[];
      let count = 0;
      for (const group of groupByDestination(rows)) {
        const { sentIds, failures } = await this.sendGroup(group);
        if (sentIds.length > 0) await trx(table).whereIn("id", sentIds).delete();
        await this.recordFailures(trx, failures, now);
        wrote = true;
        count += sentIds.length;
      }
      return count;
    });
    if (wrote) this.options.metrics.commits++;
    return sent;
  }

  private scheduleDeletes(): void {
    if (this.sent.length === 0) return;
    this.deleteTimer ??= setTimeout(() => {
      this.deleteTimer = undefined;
      void this.track(this.flushDeletes());
    }, this.options.deleteDelayMs);
  }

  /** Deletes the rows sent and not yet deleted by anyone's transaction. */
  private async flushDeletes(): Promise<void> {
    clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
    const ids = this.takeSent();
    if (ids.length === 0) return;
    try {
      await this.options.db.knex(this.options.table).whereIn("id", ids).delete();
      this.options.metrics.commits++;
    } catch (error) {
      this.giveBack(ids);
      throw error;
    }
  }

  private requireSns(): SNSClient {
    if (!this.options.sns)
      throw new Error(`${this.options.table} holds SNS rows but the relay has no SNS client`);
    return this.options.sns;
  }

  private async sendGroup(
    rows: OutboxRow[],
  ): Promise<{ sentIds: string[]; failures: { row: OutboxRow; code: string; message: string }[] }> {
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
    return {
      // pg returns bigint ids as strings, PGlite as numbers: one form for callers to compare.
      sentIds: report.sent.map((entry) => String((rows[entry.index] as OutboxRow).id)),
      failures: report.failed.map((failure) => ({
        row: rows[failure.index] as OutboxRow,
        code: failure.code,
        message: failure.message,
      })),
    };
  }

  /** Pushes failed rows back with a growing delay; the poll sends them when it is over. */
  private async recordFailures(
    trx: Knex,
    failures: readonly { row: OutboxRow; code: string; message: string }[],
    now: Date,
  ): Promise<void> {
    for (const { row, code, message } of failures) {
      const delayMs = Math.min(60_000, 500 * 2 ** row.attempts);
      this.options.logger.error(
        {
          table: this.options.table,
          outboxId: row.id,
          destination: row.destination,
          code,
          retryInMs: delayMs,
        },
        `outbox message not accepted: ${message}`,
      );
      await trx(this.options.table)
        .where({ id: row.id })
        .update({
          attempts: row.attempts + 1,
          last_error: `${code}: ${message}`.slice(0, 2000),
          available_at: new Date(now.getTime() + delayMs),
        });
    }
  }
}

function groupByDestination(rows: readonly OutboxRow[]): OutboxRow[][] {
  const groups = new Map<string, OutboxRow[]>();
  for (const row of rows) {
    const key = `${row.kind} ${row.destination}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()];
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
