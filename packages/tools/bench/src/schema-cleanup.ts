// Dropping a benchmark run's Postgres schemas, apart from the system benchmark's settings (which
// read that benchmark's command line when imported), so every benchmark can use it.
import pg from "pg";

/** Drops every schema whose name starts with `prefix`. */
export async function dropSchemasWithPrefix(databaseUrl: string, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on("error", () => {}); // A failure surfaces as the query's rejection.
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)",
      [prefix],
    );
    for (const { nspname } of rows)
      await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
  } finally {
    await client.end();
  }
}
