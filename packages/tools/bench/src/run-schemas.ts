// The Postgres schemas a benchmark run creates, every one named with the run's prefix, dropped
// when the run ends (or is interrupted) so that runs leave nothing behind.
import pg from "pg";
import { databaseUrl, schemaPrefix } from "./settings.ts";

/** Drops every schema of this run; nothing to do on PGlite (no DATABASE_URL). */
export async function dropRunSchemas(): Promise<void> {
  if (!databaseUrl) return;
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on("error", () => {}); // A failure surfaces as the query's rejection.
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1",
      [`${schemaPrefix}%`],
    );
    for (const { nspname } of rows)
      await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
  } finally {
    await client.end();
  }
}
