import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { type BatchReport, publishToTopic, sendToQueue } from "@sagaworks/messaging";
import type { Database, Knex, Logger } from "@sagaworks/platform";
import type { RuntimeMetrics } from "../saga-runtime.ts";
import type { OutboxMessage, OutboxRow } from "../store/effects.ts";

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  db: Database;
  sqs: SQSClient;
  sns: SNSClient;
  logger: Logger;
  metrics: Pick<RuntimeMetrics, "commits">;
  clock?: () => Date;
  /** Fallback poll for rows nobody dispatched (a crash after commit); defaults to 500 ms. */
  pollIntervalMs?: number;
  /** Rows claimed per transaction; defaults to 100. */
  batchSize?: number;
}

type Sendable = Extract<OutboxMessage, { transport: "sqs" | "sns" }>;

/**
 * Sends outbox rows to SQS and SNS. Rows written by a commit are dispatched right after it
 * (rows written while a dispatch is under way share the next one); a poll picks up
 * whatever a crashed process left. Rows are claimed with `FOR UPDATE SKIP LOCKED`, so replicas
 * never send the same row at once; a row is deleted in the transaction that sent it. A crash
 * between the send and the commit sends the row again: receivers deduplicate on message id.
 */
export class OutboxRelay {
  private readonly options: Required<Omit<OutboxRelayOptions, "clock">> & { clock: () => Date };
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
    const { db, batchSize, clock } = this.options;
    if (!ids) {
      // The poll looks first without a transaction: an idle relay should not write or commit.
      const due = await db
        .knex("saga_outbox")
        .whereIn("kind", ["sqs", "sns"])
        .andWhere("available_at", "<=", clock())
        .first("id");
      if (!due) return 0;
    }
    let wrote = false;
    const sent = await db.knex.transaction(async (trx) => {
      const now = clock();
      let query = trx("saga_outbox")
        .whereIn("kind", ["sqs", "sns"])
        .andWhere("available_at", "<=", now)
        .orderBy("id")
        .limit(batchSize)
        .forUpdate()
        .skipLocked();
      if (ids) query = query.whereIn("id", ids);
      const rows = (await query.select(
        "id",
        "saga_id",
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

  private async sendGroup(trx: Knex, rows: OutboxRow[], now: Date): Promise<number> {
    const first = rows[0] as OutboxRow;
    const messages = rows.map((row) => {
      const { transport: _transport, ...message } = row.message as Sendable;
      return message;
    });
    let report: BatchReport;
    try {
      report =
        first.kind === "sqs"
          ? await sendToQueue(this.options.sqs, first.destination, messages)
          : await publishToTopic(this.options.sns, first.destination, messages);
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
    if (sentIds.length > 0) await trx("saga_outbox").whereIn("id", sentIds).delete();
    for (const failure of report.failed) {
      const row = rows[failure.index] as OutboxRow;
      const delayMs = Math.min(60_000, 500 * 2 ** row.attempts);
      this.options.logger.error(
        {
          outboxId: row.id,
          sagaId: row.saga_id,
          destination: row.destination,
          code: failure.code,
          retryInMs: delayMs,
        },
        `outbox message not accepted: ${failure.message}`,
      );
      await trx("saga_outbox")
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
