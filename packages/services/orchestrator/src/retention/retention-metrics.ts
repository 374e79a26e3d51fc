import { counter, gauge, type MetricsRegistry } from "@sagaworks/platform";

/** Retention's Prometheus counters; created once per registry, shared by every pruner on it. */
export class RetentionMetrics {
  private readonly rows;
  private readonly archived;
  private readonly objects;
  private readonly failures;

  constructor(registry: MetricsRegistry, paused: () => boolean) {
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
    gauge(registry, {
      name: "sagaworks_retention_paused",
      help: "1 while pruning is paused on this replica (by configuration or by an operator), else 0.",
      collect() {
        this.set(paused() ? 1 : 0);
      },
    });
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
