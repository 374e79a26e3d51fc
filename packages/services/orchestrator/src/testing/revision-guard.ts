// A test-only trigger: every update of a saga_instances row must bump its revision by exactly
// one. The runtime's cache is safe only if that holds for every writer (transitions, operator
// actions, the outbox's parking, timers); with the guard on, a writer that forgets fails loudly
// in whatever test reaches it instead of leaving a stale cache entry that looks current.
import type { Database } from "@sagaworks/platform";

/**
 * The environment variable by which a test run asks for the guard: the harnesses that start an
 * orchestrator read it and pass `revisionGuard`, and so does main.ts, for the processes tests
 * start as children.
 */
export const REVISION_GUARD_ENV = "SAGAWORKS_TEST_REVISION_GUARD";

// Three statements, each sent alone: PGlite runs a statement with bindings as a prepared one,
// and a prepared statement holds one command.
const GUARD_SQL = [
  `CREATE OR REPLACE FUNCTION saga_revision_guard() RETURNS trigger LANGUAGE plpgsql AS $guard$
BEGIN
  IF NEW.revision IS NULL OR NEW.revision <= OLD.revision THEN
    RAISE EXCEPTION 'saga_instances row % updated from revision % to %: every write to a saga must bump its revision (by the transitions it applies)',
      OLD.id, OLD.revision, NEW.revision;
  END IF;
  RETURN NEW;
END
$guard$`,
  "DROP TRIGGER IF EXISTS saga_revision_guard ON saga_instances",
  `CREATE TRIGGER saga_revision_guard BEFORE UPDATE ON saga_instances
  FOR EACH ROW EXECUTE FUNCTION saga_revision_guard()`,
];

/** Installs the guard on the database's saga_instances (after the migrations). */
export async function installRevisionGuard(db: Database): Promise<void> {
  if (db.kind === "embedded") {
    for (const statement of GUARD_SQL) await db.knex.raw(statement);
    return;
  }
  // Replicas starting together would otherwise replace the function at once and fail.
  await db.knex.transaction(async (trx) => {
    await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [
      `sagaworks-revision-guard:${db.schema}`,
    ]);
    for (const statement of GUARD_SQL) await trx.raw(statement);
  });
}

/** Whether this process runs under tests that asked for the guard. */
export function revisionGuardRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[REVISION_GUARD_ENV] === "1";
}
