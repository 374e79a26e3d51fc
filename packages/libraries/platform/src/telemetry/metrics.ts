import {
  Counter,
  type CounterConfiguration,
  collectDefaultMetrics,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from "prom-client";
import type { Database } from "../database.ts";

export type { Counter, Gauge, Histogram };
export { Registry as MetricsRegistry };

/**
 * A process's Prometheus registry with the default Node metrics (event loop lag, heap, GC, CPU,
 * open handles) registered. One per process: every part that counts registers on it, and
 * `/metrics` serialises it. `process` becomes a default label, so one dashboard tells processes apart.
 */
export function createMetricsRegistry(options: { process: string }): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ process: options.process });
  collectDefaultMetrics({ register: registry });
  return registry;
}

// Several parts of one process (two participants in the demo's single process, an orchestrator
// and its relay) register the same metric; prom-client refuses a second registration, so the
// first one is shared. The label names must match: same name, same meaning.
function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

/** The counter named `config.name` on `registry`, created on first use. */
export function counter<L extends string>(
  registry: Registry,
  config: Omit<CounterConfiguration<L>, "registers">,
): Counter<L> {
  return (
    existing<Counter<L>>(registry, config.name) ?? new Counter({ ...config, registers: [registry] })
  );
}

/** The gauge named `config.name` on `registry`, created on first use. */
export function gauge<L extends string>(
  registry: Registry,
  config: Omit<GaugeConfiguration<L>, "registers">,
): Gauge<L> {
  return (
    existing<Gauge<L>>(registry, config.name) ?? new Gauge({ ...config, registers: [registry] })
  );
}

/** The histogram named `config.name` on `registry`, created on first use. */
export function histogram<L extends string>(
  registry: Registry,
  config: Omit<HistogramConfiguration<L>, "registers">,
): Histogram<L> {
  return (
    existing<Histogram<L>>(registry, config.name) ??
    new Histogram({ ...config, registers: [registry] })
  );
}

/**
 * A map of named sources per registry, created on first use. A gauge is registered once (see
 * `existing`), so its one `collect` reads every source that parts of the process added under
 * their name (two databases' pools, two participants' outboxes).
 */
export function perRegistry<V>(): (registry: Registry) => Map<string, V> {
  const maps = new WeakMap<Registry, Map<string, V>>();
  return (registry) => {
    let map = maps.get(registry);
    if (!map) {
      map = new Map();
      maps.set(registry, map);
    }
    return map;
  };
}

/** Buckets for durations of messaging and database work, in seconds: 1 ms to 60 s. */
export const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/**
 * A value that is costly to read (a query, an AWS call), read at most once per `maxAgeMs`,
 * so a scrape every few seconds by several Prometheus servers costs one read per period.
 * A failed read keeps the last value and is retried at the next scrape.
 */
export class CachedReading<T> {
  private value: T | undefined;
  private readAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<T | undefined> | undefined;

  private readonly read: () => Promise<T>;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(read: () => Promise<T>, maxAgeMs: number, now: () => number = Date.now) {
    this.read = read;
    this.maxAgeMs = maxAgeMs;
    this.now = now;
  }

  /** The last value, read again first when older than `maxAgeMs`; undefined until a read succeeded. */
  async get(): Promise<T | undefined> {
    if (this.now() - this.readAt < this.maxAgeMs) return this.value;
    this.pending ??= this.read()
      .then((value) => {
        this.value = value;
        this.readAt = this.now();
        return value;
      })
      .catch(() => this.value)
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  max: number;
}

/**
 * Postgres pool usage of `db` (connections in use, idle, waited for, and the maximum), read from
 * knex's pool at each scrape (no query). `pool` names the pool when a process has several.
 */
export function registerPoolMetrics(registry: Registry, db: Database, pool: string): void {
  const pools = poolsOf(registry);
  pools.set(pool, db);
  gauge(registry, {
    name: "sagaworks_db_pool_connections",
    help: "Postgres pool connections by state (used, free, pending acquires, max).",
    labelNames: ["pool", "state"],
    collect() {
      this.reset();
      for (const [name, database] of pools) {
        const tarn = (database.knex.client as { pool?: TarnPool }).pool;
        if (!tarn) continue;
        this.set({ pool: name, state: "used" }, tarn.numUsed());
        this.set({ pool: name, state: "free" }, tarn.numFree());
        this.set({ pool: name, state: "pending" }, tarn.numPendingAcquires());
        this.set({ pool: name, state: "max" }, tarn.max);
      }
    },
  });
}

const poolsOf = perRegistry<Database>();
