// A stand-in for Postgres' autovacuum, for a server that runs with it off (this machine's test
// server does: `show autovacuum` says off). Without it dead rows are never reclaimed: the relay's
// outbox and the timers grow without end, every scan of them slows, and space freed by pruning
// is never reused, so a benchmark would measure a database no deployment runs.
import type { Knex } from "@sagaworks/platform";

/** Postgres' defaults: vacuum a table once its dead rows pass 50 + 20% of its live rows. */
const THRESHOLD = 50;
const SCALE_FACTOR = 0.2;

/** What the stand-in did, for the report. */
export interface VacuumLog {
  vacuums: number;
  byTable: Record<string, number>;
  /** The first failures, if any (a failed pass is tried again at the next one). */
  errors: string[];
}

/**
 * Every `everyMs`, vacuums (and analyzes) each table of each schema's `knex` whose dead rows
 * pass autovacuum's default threshold, one table at a time, as one autovacuum worker would.
 * Returns a stop function that waits for the vacuum under way.
 */
export function startAutovacuum(
  databases: readonly Knex[],
  everyMs: number,
): { log: VacuumLog; stop: () => Promise<void> } {
  const log: VacuumLog = { vacuums: 0, byTable: {}, errors: [] };
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      for (const knex of databases) {
        await pass(knex).catch((error: unknown) => {
          if (log.errors.length < 5) log.errors.push(String(error));
        });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, everyMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  async function pass(knex: Knex): Promise<void> {
    const rows = (
      await knex.raw(
        `select schemaname, relname, n_live_tup, n_dead_tup from pg_stat_user_tables
             where schemaname = current_schema()`,
      )
    ).rows as { schemaname: string; relname: string; n_live_tup: string; n_dead_tup: string }[];
    for (const row of rows) {
      if (stopped) break;
      if (Number(row.n_dead_tup) <= THRESHOLD + SCALE_FACTOR * Number(row.n_live_tup)) continue;
      await knex.raw(`vacuum (analyze) "${row.schemaname}"."${row.relname}"`);
      log.vacuums++;
      log.byTable[row.relname] = (log.byTable[row.relname] ?? 0) + 1;
    }
  }
  return {
    log,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
