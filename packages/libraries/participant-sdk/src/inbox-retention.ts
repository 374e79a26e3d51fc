import type { Database, Logger } from "@sagaworks/platform";
import { pruneInboxBatch } from "./participant-store.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The longest a command can come back after it was first handled: 4 days on its queue (the
 * topology's retention), 14 days in its DLQ before a replay, plus the orchestrator's own retries
 * in between. An inbox row (a reply to give again, or a guard against a late action) must live
 * longer than that, or a redelivered command would run twice.
 */
export const LONGEST_REDELIVERY_MS = 18 * DAY_MS;

/** Default inbox retention: the longest redelivery plus three days of margin (21 days). */
export const DEFAULT_INBOX_RETENTION_MS = LONGEST_REDELIVERY_MS + 3 * DAY_MS;

/** Options of {@link InboxRetention}. */
export interface InboxRetentionOptions {
  /** The service's database, where the participant's inbox lives. */
  db: Pick<Database, "knex">;
  logger: Logger;
  /** How long rows are kept; defaults to 21 days, and may not be shorter than 18 days. */
  retentionMs?: number;
  /** Time between prunes; defaults to one hour. */
  intervalMs?: number;
  /** Rows deleted per statement, so a large backlog never holds long locks; defaults to 1,000. */
  batchSize?: number;
  clock?: () => Date;
}

/**
 * Deletes inbox rows older than the retention window, in small batches, every `intervalMs`.
 * Without it the inbox grows by one row per command forever (7,000 rows after 1,000 sagas).
 * Replicas may all run it: a batch deletes rows chosen with SKIP LOCKED, so they never wait on
 * each other or on a command being handled.
 */
export class InboxRetention {
  private readonly options: InboxRetentionOptions;
  private readonly retentionMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(options: InboxRetentionOptions) {
    this.options = options;
    this.retentionMs = options.retentionMs ?? DEFAULT_INBOX_RETENTION_MS;
    if (this.retentionMs < LONGEST_REDELIVERY_MS) {
      throw new RangeError(
        `Inbox retention of ${this.retentionMs} ms is shorter than the longest redelivery (${LONGEST_REDELIVERY_MS} ms, 18 days): a redelivered command would run twice. Keep at least 18 days.`,
      );
    }
  }

  /** Deletes every row past the window now; returns how many went. */
  async pruneOnce(): Promise<number> {
    const now = this.options.clock?.() ?? new Date();
    const cutoff = new Date(now.getTime() - this.retentionMs);
    const batchSize = this.options.batchSize ?? 1_000;
    const { knex } = this.options.db;
    let deleted = 0;
    for (;;) {
      const removed = await pruneInboxBatch(knex, cutoff, batchSize);
      deleted += removed;
      if (removed < batchSize) break;
    }
    if (deleted > 0) {
      this.options.logger.info({ deleted, cutoff: cutoff.toISOString() }, "inbox pruned");
    }
    return deleted;
  }

  /** Prunes now and then every `intervalMs` until {@link stop}. */
  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.running = this.pruneOnce().catch((error: unknown) => {
        this.options.logger.warn({ err: error }, "inbox pruning failed; it runs again later");
        return 0;
      });
    };
    tick();
    this.timer = setInterval(tick, this.options.intervalMs ?? 60 * 60 * 1000);
    this.timer.unref();
  }

  /** Stops the timer and waits for a prune under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
