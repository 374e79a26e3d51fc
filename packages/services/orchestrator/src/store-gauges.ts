import { CachedReading, type Database, gauge, type MetricsRegistry } from "@sagaworks/platform";
import { SagaStatus, TERMINAL_STATUSES } from "@sagaworks/saga-engine";
import { countOpenSagas } from "./store/instances.ts";
import { outboxBacklog } from "./store/outbox.ts";

const OPEN_STATUSES = Object.values(SagaStatus).filter((s) => !TERMINAL_STATUSES.includes(s));

/**
 * Gauges read from the store: open sagas by status, sagas past their deadline, the outbox
 * backlog and the age of its oldest row. Each is one query, reused for `maxAgeMs` (default 15 s)
 * whatever the scrape rate, so several Prometheus servers cost one query per period.
 */
export function registerStoreGauges(
  registry: MetricsRegistry,
  db: Database,
  options: { clock: () => Date; maxAgeMs?: number },
): void {
  const maxAgeMs = options.maxAgeMs ?? 15_000;
  const sagas = new CachedReading(
    () => countOpenSagas(db.knex, OPEN_STATUSES, options.clock()),
    maxAgeMs,
  );
  const outbox = new CachedReading(() => outboxBacklog(db.knex), maxAgeMs);
  gauge(registry, {
    name: "sagaworks_sagas",
    help: "Sagas not finished, by name and status (running, compensating, needs-intervention); read from the store, cached 15 s.",
    labelNames: ["saga", "status"],
    async collect() {
      const counts = await sagas.get();
      if (!counts) return;
      this.reset();
      for (const row of counts.byStatus)
        this.set({ saga: row.name, status: row.status }, row.count);
    },
  });
  gauge(registry, {
    name: "sagaworks_sagas_past_deadline",
    help: "Sagas not finished whose saga deadline has passed, by name; read from the store, cached 15 s.",
    labelNames: ["saga"],
    async collect() {
      const counts = await sagas.get();
      if (!counts) return;
      this.reset();
      for (const row of counts.pastDeadline) this.set({ saga: row.name }, row.count);
    },
  });
  gauge(registry, {
    name: "sagaworks_outbox_pending",
    help: "Outbox rows not yet sent, by kind (sqs, sns, http); read from the store, cached 15 s.",
    labelNames: ["kind"],
    async collect() {
      const rows = await outbox.get();
      if (!rows) return;
      this.reset();
      for (const kind of ["sqs", "sns", "http"]) {
        this.set({ kind }, rows.find((row) => row.kind === kind)?.pending ?? 0);
      }
    },
  });
  gauge(registry, {
    name: "sagaworks_outbox_oldest_age_seconds",
    help: "Age of the oldest outbox row not yet sent (0 when empty); read from the store, cached 15 s.",
    async collect() {
      const rows = await outbox.get();
      if (!rows) return;
      const oldest = Math.min(
        ...rows.map((row) => row.oldest?.getTime() ?? Number.POSITIVE_INFINITY),
      );
      this.set(
        Number.isFinite(oldest) ? Math.max(0, (options.clock().getTime() - oldest) / 1000) : 0,
      );
    },
  });
}
