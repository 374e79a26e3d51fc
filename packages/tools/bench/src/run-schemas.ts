// The Postgres schemas a benchmark run creates, every one named with the run's prefix, dropped
// when the run ends (or is interrupted) so that runs leave nothing behind.
import { dropSchemasWithPrefix } from "./schema-cleanup.ts";
import { databaseUrl, schemaPrefix } from "./settings.ts";

/** Drops every schema of this run; nothing to do on PGlite (no DATABASE_URL). */
export async function dropRunSchemas(): Promise<void> {
  if (!databaseUrl) return;
  await dropSchemasWithPrefix(databaseUrl, schemaPrefix);
}
