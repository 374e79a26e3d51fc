import { counter, gauge, type MetricsRegistry } from "@sagaworks/platform";

/** Where the paused gauge learns whether pruning is paused. */
export interface PauseSources {
  /** SAGA_PRUNING=paused on this replica. */
  pausedByConfig: boolean;
  /** Reads the shared pause switch (`ops retention pause`) from the store. */
  readOperatorPause: () => Promise<boolean>;
  /** How long a read of the switch is reused by scrapes; defaults to 15 s. */
  maxAgeMs?: number;
  now?: () => number;
}

/** Retention's Prometheus counters; created once per registry, shared by every pruner on it. */
export class RetentionMetrics {
  private readonly rows;
  private readonly archived;
  private readonly objects;
  private readonly failures;
  private operatorPaused: boolean | undefined;
  private operatorReadAt = Number.NEGATIVE_INFINITY;

  constructor(registry: MetricsRegistry, pause: PauseSources) {
    this.rows = counter(registry, {
      name: "sagaworks_retention_rows_pruned_total",
      help: "Rows deleted by retention, by table (saga_instances, saga_history, saga_outbox_parked, saga_timers, saga_inbox, saga_archive_batches).",
      labelNames: ["table"],
    });
    this.archived = counter(registry, {
      name: "sagaworks_retention_sagas_archived_total",
      help: "Finished sagas written to the archive (a saga written twice after an interrupted prune counts twice).",
    });
    this.objects = counter(registry, {
      name: "sagaworks_retention_archive_objects_total",
      help: "Archive objects written (one per pruned batch).",
    });
    this.failures = counter(registry, {
      name: "sagaworks_retention_failures_total",
      help: "Prune runs that stopped on an error (archive unreachable, database); the next run starts over.",
    });
    const maxAgeMs = pause.maxAgeMs ?? 15_000;
    const now = pause.now ?? Date.now;
    const metrics = this;
    // Two series, so an alert can tell a pause someone chose and forgot from a replica started
    // paused; neither is ever 1 while the pruner merely rests between batches or runs.
    gauge(registry, {
      name: "sagaworks_retention_paused",
      help: "1 while pruning is paused, by who paused it: configuration (SAGA_PRUNING=paused, this replica) or operator (ops retention pause, every replica; read from the store, cached 15 s). A pruner resting between batches (its duty cycle) or waiting for its next run is not paused.",
      labelNames: ["by"],
      async collect() {
        this.set({ by: "configuration" }, pause.pausedByConfig ? 1 : 0);
        if (now() - metrics.operatorReadAt >= maxAgeMs) {
          try {
            metrics.notePause(await pause.readOperatorPause(), now());
          } catch {
            // The store is unreachable: the last value read stands (none yet: no series).
          }
        }
        if (metrics.operatorPaused !== undefined) {
          this.set({ by: "operator" }, metrics.operatorPaused ? 1 : 0);
        }
      },
    });
  }

  /** Records the pause switch as just read or written, so the next scrape need not read it. */
  notePause(paused: boolean, at: number): void {
    this.operatorPaused = paused;
    this.operatorReadAt = at;
  }

  pruned(table: string, count: number): void {
    if (count > 0) this.rows.inc({ table }, count);
  }

  archivedBatch(sagas: number): void {
    this.archived.inc(sagas);
    this.objects.inc();
  }

  failed(): void {
    this.failures.inc();
  }
}
