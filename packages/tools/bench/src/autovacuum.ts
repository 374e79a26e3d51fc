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

/** A table's row counts, as pg_stat_user_tables gives them. */
interface TableRows {
  schemaname: string;
  relname: string;
  n_live_tup: string;
  n_dead_tup: string;
}

/** Where the stand-in finds its tables and runs its statements. */
interface VacuumTarget {
  tables(): Promise<TableRows[]>;
  run(statement: string): Promise<unknown>;
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
  return startVacuuming(
    databases.map((knex) => ({
      tables: async () =>
        (
          await knex.raw(
            `select schemaname, relname, n_live_tup, n_dead_tup from pg_stat_user_tables
             where schemaname = current_schema()`,
          )
        ).rows as TableRows[],
      run: (statement) => knex.raw(statement),
    })),
    everyMs,
  );
}

/**
 * The same for every table of the schemas whose names start with `prefix`, through one
 * connection (`query`): the system benchmark's schemas belong to processes it only starts.
 */
export function startPrefixAutovacuum(
  query: (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }>,
  prefix: string,
  everyMs: number,
): { log: VacuumLog; stop: () => Promise<void> } {
  return startVacuuming(
    [
      {
        tables: async () =>
          (
            await query(
              `select schemaname, relname, n_live_tup, n_dead_tup from pg_stat_user_tables
               where starts_with(schemaname, $1)`,
              [prefix],
            )
          ).rows as TableRows[],
        run: (statement) => query(statement),
      },
    ],
    everyMs,
  );
}

function startVacuuming(
  targets: readonly VacuumTarget[],
  everyMs: number,
): { log: VacuumLog; stop: () => Promise<void> } {
  const log: VacuumLog = { vacuums: 0, byTable: {}, errors: [] };
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      for (const target of targets) {
        await pass(target).catch((error: unknown) => {
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
  async function pass(target: VacuumTarget): Promise<void> {
    for (const row of await target.tables()) {
      if (stopped) break;
      if (Number(row.n_dead_tup) <= THRESHOLD + SCALE_FACTOR * Number(row.n_live_tup)) continue;
      await target.run(`vacuum (analyze) "${row.schemaname}"."${row.relname}"`);
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
