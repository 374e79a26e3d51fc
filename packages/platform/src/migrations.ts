import type { Knex } from "knex";
import { PlatformError, PlatformErrorCode } from "./errors.ts";

/** One schema change. Names sort in the order they apply: `0001-create-orders`. */
export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down?(knex: Knex): Promise<void>;
}

/** Options for {@link runMigrations}. */
export interface RunMigrationsOptions {
  /** Schema that holds both the tables and the migrations bookkeeping. */
  schema: string;
  /** How long to wait for another process that holds the migration lock; defaults to 60 s. */
  lockTimeoutMs?: number;
}

const MIGRATION_NAME = /^\d{4}-[a-z0-9-]+$/;

/**
 * Applies the migrations that have not run yet, in name order, each in its own transaction.
 * Safe to call from several replicas at once: knex's lock table lets one run while the others
 * wait here and then find nothing left to do. Returns the names it applied.
 */
export async function runMigrations(
  knex: Knex,
  migrations: readonly Migration[],
  options: RunMigrationsOptions,
): Promise<string[]> {
  checkMigrationList(migrations);
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
        schemaName: options.schema,
        tableName: "knex_migrations",
      })) as [number, string[]];
      return applied;
    } catch (error) {
      const locked = (error as Error).name === "MigrationLocked";
      if (locked && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      throw new PlatformError(
        PlatformErrorCode.migrationFailed,
        locked
          ? `Migrations in schema "${options.schema}" stayed locked by another process past the timeout. If no process is migrating, clear the row in ${options.schema}.knex_migrations_lock.`
          : `A migration in schema "${options.schema}" failed: ${(error as Error).message}`,
        { schema: options.schema },
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
      problems.push(`"${migration.name}" comes after "${previous.name}" but does not sort after it`);
    }
  });
  if (problems.length > 0) {
    throw new PlatformError(
      PlatformErrorCode.migrationFailed,
      `The migration list is not in order: ${problems.join("; ")}`,
      { problems },
    );
  }
}
