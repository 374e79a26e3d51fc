import type { Knex } from "knex";
import type { Database } from "./database.ts";
import { PlatformErrorCode, PlatformErrors } from "./errors.ts";

/** One schema change. Names sort in the order they apply: `0001-create-orders`. */
export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down?(knex: Knex): Promise<void>;
}

/** Options for {@link runMigrations}. */
export interface RunMigrationsOptions {
  /**
   * Bookkeeping table; defaults to `knex_migrations`. A library that ships its own migrations
   * into a service's schema (the participant SDK) uses its own table, so the two lists keep
   * their own order.
   */
  table?: string;
  /** How long to wait for another process that holds knex's migration lock; defaults to 60 s. */
  lockTimeoutMs?: number;
}

const MIGRATION_NAME = /^\d{4}-[a-z0-9-]+$/;

/**
 * Applies the migrations that have not run yet, in name order, each in its own transaction,
 * in the database's schema. Safe to call from several replicas at once. Returns the names it
 * applied.
 */
export async function runMigrations(
  db: Database,
  migrations: readonly Migration[],
  options: RunMigrationsOptions = {},
): Promise<string[]> {
  checkMigrationList(migrations);
  if (db.kind === "embedded") return migrate(db, migrations, options);
  // knex's own lock table is created by the first migrator without a guard, so two replicas
  // starting on an empty schema race on CREATE TABLE. A transaction-scoped advisory lock on the
  // schema name serialises whole runs; the later replica then finds nothing left to apply.
  // (PGlite has one connection and one process, so it needs no lock and could not take this one.)
  return db.knex.transaction(async (trx) => {
    await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [
      `sagaworks-migrations:${db.schema}`,
    ]);
    return migrate(db, migrations, options);
  });
}

async function migrate(
  db: Database,
  migrations: readonly Migration[],
  options: RunMigrationsOptions,
): Promise<string[]> {
  const { knex, schema } = db;
  const source: Knex.MigrationSource<Migration> = {
    getMigrations: async () => [...migrations],
    getMigrationName: (migration) => migration.name,
    getMigration: async (migration) => ({
      up: migration.up,
      down: migration.down ?? (async () => {}),
    }),
  };
  const deadline = Date.now() + (options.lockTimeoutMs ?? 60_000);
  for (;;) {
    try {
      const [, applied] = (await knex.migrate.latest({
        migrationSource: source,
        schemaName: schema,
        tableName: options.table ?? "knex_migrations",
      })) as [number, string[]];
      return applied;
    } catch (error) {
      const locked = (error as Error).name === "MigrationLocked";
      if (locked && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      throw PlatformErrors.create(
        PlatformErrorCode.migrationFailed,
        locked
          ? `Migrations in schema "${schema}" stayed locked by another process past the timeout. If no process is migrating, clear the row in ${schema}.${options.table ?? "knex_migrations"}_lock.`
          : `A migration in schema "${schema}" failed: ${(error as Error).message}`,
        { schema },
        { cause: error },
      );
    }
  }
}

function checkMigrationList(migrations: readonly Migration[]): void {
  const problems: string[] = [];
  migrations.forEach((migration, index) => {
    if (!MIGRATION_NAME.test(migration.name)) {
      problems.push(`"${migration.name}" is not named like 0001-what-it-does`);
    }
    const previous = migrations[index - 1];
    if (previous && previous.name >= migration.name) {
      problems.push(
        `"${migration.name}" comes after "${previous.name}" but does not sort after it`,
      );
    }
  });
  if (problems.length > 0) {
    throw PlatformErrors.create(
      PlatformErrorCode.migrationFailed,
      `The migration list is not in order: ${problems.join("; ")}`,
      { problems },
    );
  }
}
