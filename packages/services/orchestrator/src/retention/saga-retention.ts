import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { LONGEST_REDELIVERY_MS, SIGNED_MAX_AGE_MS } from "@sagaworks/messaging";
import type { Database, Logger, MetricsRegistry } from "@sagaworks/platform";
import { OrchestratorErrorCode, OrchestratorErrors } from "../errors.ts";
import { archiveObjectName, type SagaArchive } from "./archive.ts";
import { RetentionMetrics } from "./retention-metrics.ts";
import {
  deleteArchived,
  deleteOlder,
  type FinishedCursor,
  finishedBefore,
  PRUNED_BY_AGE,
  readPause,
  readRecords,
  releaseLease,
  takeLease,
} from "./retention-store.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Default retention of finished sagas: 90 days, what Step Functions keeps of an execution. */
export const DEFAULT_SAGA_RETENTION_MS = 90 * DAY_MS;
/**
 * Default retention of the reply inbox: the longest a reply can come back (18 days: 14 in SQS,
 * 4 more after a DLQ replay) plus three days, as the participants keep theirs (21 days).
 */
export const DEFAULT_REPLY_INBOX_RETENTION_MS = LONGEST_REDELIVERY_MS + 3 * DAY_MS;
/** Default time an archived saga's id still says where it went: 400 days. */
export const DEFAULT_ARCHIVE_INDEX_RETENTION_MS = 400 * DAY_MS;

/** Tuning of {@link SagaRetention}; every field is optional and its default is beside it. */
export interface SagaRetentionOptions {
  /** How long a finished saga is kept after it finished; defaults to 90 days. */
  retentionMs?: number | undefined;
  /** How long a reply's inbox row is kept; defaults to 21 days, at least 19 (see below). */
  inboxRetentionMs?: number | undefined;
  /** How long the archive index answers for a pruned id; defaults to 400 days. */
  archiveIndexRetentionMs?: number | undefined;
  /** Sagas per batch (one archive object, one delete statement); defaults to 200. */
  batchSize?: number | undefined;
  /** Shortest rest between two batches; defaults to 100 ms. */
  batchPauseMs?: number | undefined;
  /**
   * Share of the time the pruner works while it goes through a backlog; after each batch it
   * rests long enough to stay under it (at least `batchPauseMs`). Defaults to 0.1: a batch
   * reads its sagas' cold pages from disk (the bulk of its time), and at 0.25 that cost the
   * sagas running meanwhile a third of their throughput on the benchmark's machine; at 0.1 it
   * rests nine times as long as each batch took, so on faster disks it prunes faster for the
   * same share of the database's time.
   */
  dutyCycle?: number | undefined;
  /**
   * The most finished sagas pruned a second while it goes through a backlog; defaults to 20
   * (1.7 million a day, about twice what a deployment finishing a million sagas a day needs to
   * keep up). The duty cycle bounds the share of the database's time; this bounds the work
   * itself. On the benchmark's two-core machine, at full saga speed, each saga pruned a second
   * cost about a quarter of a percent of the sagas' throughput (at the duty cycle alone it pruned
   * 50 to 70 a second and cost 16%); a saga's share of the database is what the sagas running
   * meanwhile pay, however fast the disk, so the pace is capped by count, not only by time.
   */
  maxSagasPerSecond?: number | undefined;
  /** Time between two runs once the backlog is gone; defaults to 5 minutes. */
  intervalMs?: number | undefined;
  /** How long one replica's lease on pruning lasts unless renewed; defaults to 60 s. */
  leaseMs?: number | undefined;
  /** Paused by configuration on this replica (SAGA_PRUNING=paused); defaults to false. */
  paused?: boolean | undefined;
  /**
   * Prune finished sagas; defaults to true. False keeps them forever and prunes only the reply
   * inbox and the archive index (a deployment that has not said where records go).
   */
  pruneSagas?: boolean | undefined;
}

/** Everything {@link SagaRetention} needs, as one object. */
export interface SagaRetentionDeps {
  db: Pick<Database, "knex">;
  logger: Logger;
  /** Where records go before they are pruned; undefined prunes without archiving. */
  archive: SagaArchive | undefined;
  metrics: MetricsRegistry;
  clock?: () => Date;
  /** This replica's name in the lease; defaults to host, pid and a random suffix. */
  holder?: string;
  options?: SagaRetentionOptions;
}

/** What one run did. */
export interface PruneSummary {
  /** Why nothing ran: paused here or by an operator, or another replica holds the lease. */
  skipped?: "paused" | "leased";
  sagas: number;
  archived: number;
  historyRows: number;
  inboxRows: number;
  archiveIndexRows: number;
  /** Archive objects written. */
  objects: string[];
}

type Resolved = Required<{
  [K in keyof SagaRetentionOptions]: NonNullable<SagaRetentionOptions[K]>;
}>;

const invalidSetting = (message: string) =>
  OrchestratorErrors.create(OrchestratorErrorCode.retentionSettingInvalid, message);

function resolveOptions(options: SagaRetentionOptions = {}): Resolved {
  const resolved: Resolved = {
    retentionMs: options.retentionMs ?? DEFAULT_SAGA_RETENTION_MS,
    inboxRetentionMs: options.inboxRetentionMs ?? DEFAULT_REPLY_INBOX_RETENTION_MS,
    archiveIndexRetentionMs: options.archiveIndexRetentionMs ?? DEFAULT_ARCHIVE_INDEX_RETENTION_MS,
    batchSize: options.batchSize ?? 200,
    batchPauseMs: options.batchPauseMs ?? 100,
    dutyCycle: options.dutyCycle ?? 0.1,
    maxSagasPerSecond: options.maxSagasPerSecond ?? 20,
    intervalMs: options.intervalMs ?? 5 * 60 * 1000,
    leaseMs: options.leaseMs ?? 60_000,
    paused: options.paused ?? false,
    pruneSagas: options.pruneSagas ?? true,
  };
  // A reply is accepted until it is SIGNED_MAX_AGE_MS old (19 days); its inbox row must outlive
  // that, or a redelivered reply would be applied twice.
  if (resolved.inboxRetentionMs < SIGNED_MAX_AGE_MS) {
    throw invalidSetting(
      `Reply inbox retention of ${resolved.inboxRetentionMs} ms is shorter than the oldest reply the orchestrator accepts (${SIGNED_MAX_AGE_MS} ms, 19 days): a redelivered reply would be applied twice. Keep at least 19 days.`,
    );
  }
  if (!(resolved.retentionMs > 0)) {
    throw invalidSetting(`Saga retention must be positive, not ${resolved.retentionMs} ms.`);
  }
  if (!(resolved.dutyCycle > 0 && resolved.dutyCycle <= 1)) {
    throw invalidSetting(`Retention duty cycle must be in (0, 1], not ${resolved.dutyCycle}.`);
  }
  if (!(resolved.maxSagasPerSecond > 0)) {
    throw invalidSetting(
      `Retention pace must be more than 0 sagas a second, not ${resolved.maxSagasPerSecond}.`,
    );
  }
  if (!(resolved.archiveIndexRetentionMs > 0)) {
    throw invalidSetting(
      `Archive index retention must be positive, not ${resolved.archiveIndexRetentionMs} ms.`,
    );
  }
  if (!Number.isInteger(resolved.batchSize) || resolved.batchSize < 1) {
    throw invalidSetting(
      `Retention batch size must be a positive integer, not ${resolved.batchSize}.`,
    );
  }
  return resolved;
}

/**
 * How long the pruner rests after a batch of `sagas` that took `workedMs`: at least
 * `batchPauseMs`, long enough that it works no more than `dutyCycle` of the time, and long
 * enough that batch and rest together keep to `maxSagasPerSecond`.
 */
export function restAfterBatch(
  workedMs: number,
  sagas: number,
  options: { batchPauseMs: number; dutyCycle: number; maxSagasPerSecond: number },
): number {
  const { batchPauseMs, dutyCycle, maxSagasPerSecond } = options;
  return Math.max(
    batchPauseMs,
    (workedMs * (1 - dutyCycle)) / dutyCycle,
    (sagas / maxSagasPerSecond) * 1000 - workedMs,
  );
}

/**
 * Prunes finished sagas past their retention (archiving each batch first), the reply inbox past
 * the longest redelivery, and the archive index past its own window. Runs in the background on
 * every replica, but only the replica holding the lease prunes; the others find it taken.
 *
 * Order per batch: read the records, write them to the archive, then delete them in one
 * statement that checks they are still finished and unchanged. A crash between the write and
 * the delete leaves the sagas in place and an object no index row points to; the next run
 * archives them again (twice at worst) and deletes them. Nothing is deleted that no archive
 * object holds.
 */
export class SagaRetention {
  readonly options: Resolved;
  private readonly deps: SagaRetentionDeps;
  private readonly clock: () => Date;
  private readonly holder: string;
  private readonly metrics: RetentionMetrics;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(deps: SagaRetentionDeps) {
    this.deps = deps;
    this.options = resolveOptions(deps.options);
    this.clock = deps.clock ?? (() => new Date());
    this.holder = deps.holder ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    this.metrics = new RetentionMetrics(deps.metrics, {
      pausedByConfig: this.options.paused,
      readOperatorPause: async () => (await readPause(deps.db.knex)).paused,
      now: () => this.clock().getTime(),
    });
  }

  /**
   * Tells the paused gauge that an operator paused or resumed pruning (the API calls it as it
   * writes the switch), so this replica's next scrape says so without waiting for a read.
   */
  notePause(paused: boolean): void {
    this.metrics.notePause(paused, this.clock().getTime());
  }

  /** Runs one full prune now: every batch past the window, the inbox, the archive index. */
  async pruneOnce(): Promise<PruneSummary> {
    const summary: PruneSummary = {
      sagas: 0,
      archived: 0,
      historyRows: 0,
      inboxRows: 0,
      archiveIndexRows: 0,
      objects: [],
    };
    const { knex } = this.deps.db;
    if (this.options.paused) return { ...summary, skipped: "paused" };
    const pause = await readPause(knex);
    this.notePause(pause.paused);
    if (pause.paused) return { ...summary, skipped: "paused" };
    if (!(await this.renewLease())) return { ...summary, skipped: "leased" };
    try {
      if (this.options.pruneSagas) await this.pruneSagas(summary);
      if (!this.stopping) await this.pruneSmallTables(summary);
    } finally {
      await releaseLease(knex, this.holder);
    }
    if (summary.sagas + summary.inboxRows + summary.archiveIndexRows > 0) {
      this.deps.logger.info(
        { ...summary, objects: summary.objects.length },
        `retention pruned ${summary.sagas} finished sagas and ${summary.inboxRows} inbox rows`,
      );
    }
    return summary;
  }

  private renewLease(): Promise<boolean> {
    const now = this.clock();
    return takeLease(
      this.deps.db.knex,
      this.holder,
      now,
      new Date(now.getTime() + this.options.leaseMs),
    );
  }

  private async pruneSagas(summary: PruneSummary): Promise<void> {
    const { knex } = this.deps.db;
    let after: FinishedCursor | undefined;
    for (;;) {
      const began = performance.now();
      const cutoff = new Date(this.clock().getTime() - this.options.retentionMs);
      const window = await finishedBefore(knex, cutoff, this.options.batchSize, after);
      after = window.next;
      const { ids } = window;
      if (ids.length === 0) {
        // A full window of sagas all waiting for the relay: look past them.
        if (window.full && (await this.rest(performance.now() - began))) continue;
        return;
      }
      const { lines, versions } = await readRecords(knex, ids);
      const at = this.clock();
      let location: string | null = null;
      if (this.deps.archive) {
        const body = lines.map((line) => `${line}\n`).join("");
        location = await this.deps.archive.write(archiveObjectName(at), body);
        this.metrics.archivedBatch(lines.length);
        summary.archived += lines.length;
        summary.objects.push(location);
      }
      const pruned = await deleteArchived(knex, versions, cutoff, { location, at });
      summary.sagas += pruned.sagas;
      summary.historyRows += pruned.history;
      this.metrics.pruned("saga_instances", pruned.sagas);
      this.metrics.pruned("saga_history", pruned.history);
      this.metrics.pruned("saga_outbox_parked", pruned.parked);
      this.metrics.pruned("saga_timers", pruned.timers);
      // None deleted: every one was locked by a transition or changed since it was read; they
      // are left for the next run rather than read again at once.
      if (pruned.sagas === 0 || !window.full) return;
      if (!(await this.rest(performance.now() - began, ids.length)) || !(await this.renewLease()))
        return;
    }
  }

  private async pruneSmallTables(summary: PruneSummary): Promise<void> {
    const { knex } = this.deps.db;
    const now = this.clock().getTime();
    const { batchSize } = this.options;
    const inboxCutoff = new Date(now - this.options.inboxRetentionMs);
    for (;;) {
      const began = performance.now();
      const removed = await deleteOlder(knex, PRUNED_BY_AGE.inbox, inboxCutoff, batchSize * 10);
      summary.inboxRows += removed;
      this.metrics.pruned("saga_inbox", removed);
      if (removed < batchSize * 10 || !(await this.rest(performance.now() - began))) break;
    }
    const indexCutoff = new Date(now - this.options.archiveIndexRetentionMs);
    const removed = await deleteOlder(knex, PRUNED_BY_AGE.archiveIndex, indexCutoff, batchSize);
    summary.archiveIndexRows += removed;
    this.metrics.pruned("saga_archive_batches", removed);
  }

  /**
   * Waits after a batch of `sagas` that took `workedMs`, long enough to keep to the duty cycle
   * and the pace; false when the pruner is stopping.
   */
  private rest(workedMs: number, sagas = 0): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    const ms = restAfterBatch(workedMs, sagas, this.options);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(!this.stopping), ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve(false);
      };
    });
  }

  /** Prunes now and then every `intervalMs` until {@link stop}; a failed run is retried later. */
  start(): void {
    if (this.timer || this.running) return;
    this.stopping = false;
    const tick = () => {
      this.timer = undefined;
      this.running = this.pruneOnce()
        .catch((error: unknown) => {
          this.metrics.failed();
          this.deps.logger.warn({ err: error }, "retention run failed; it runs again later");
        })
        .finally(() => {
          this.running = undefined;
          if (this.stopping) return;
          this.timer = setTimeout(tick, this.options.intervalMs);
          this.timer.unref();
        });
    };
    tick();
  }

  /** Stops after the batch under way (its archive write and delete finish together). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.wake?.();
    await this.running;
    this.deps.archive?.close();
  }
}
