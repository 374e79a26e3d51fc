import knexFactory, { type Knex } from "knex";
import { importDevelopmentOnly } from "./embedded-broker.ts";
import { PlatformErrorCode, PlatformErrors } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { type RunStatement, StatementPipe } from "./statement-pipe.ts";

export type { Knex };

/** A knex handle plus what kind of Postgres is behind it. */
export interface Database {
  knex: Knex;
  /** `postgres` for a real server reached by DATABASE_URL, `embedded` for PGlite. */
  kind: "postgres" | "embedded";
  /** The schema every unqualified table name resolves to. */
  schema: string;
  /**
   * Runs one statement of fixed text under `name` ($1… placeholders), outside knex, committed
   * when it is answered (all of it or, when it fails, none): the hot path's way in. On a real
   * server the statement is prepared once per connection, and statements asked for in the same
   * turn of the event loop share one pipelined socket write and one commit (a failing one is
   * answered alone and the others run again without it; see StatementPipe); on PGlite it runs
   * the same text in autocommit on the one connection, after whatever knex is doing there.
   * Pass values as text, numbers, booleans or null, and cast in the text (`$2::jsonb`).
   */
  statement: RunStatement;
  /** Closes the pool (and the embedded database). */
  close(): Promise<void>;
}

/** Options for {@link createDatabase}. */
export interface DatabaseOptions {
  /** postgres:// URL; when unset an embedded Postgres (PGlite) runs in-process. */
  databaseUrl?: string | undefined;
  /** Schema for this process's tables, created if missing; defaults to `public`. */
  schema?: string;
  /** Directory that keeps the embedded database between runs; in memory when unset. */
  embeddedDataDir?: string | undefined;
  /** Pool size for a real server; defaults to 2..10. PGlite always has exactly one connection. */
  pool?: { min: number; max: number };
  /** Where knex's own warnings go; dropped when unset (errors still reach the caller). */
  logger?: Logger;
  /**
   * How long opening one connection to a real server may take before it fails; defaults to
   * {@link DATABASE_CONNECT_TIMEOUT_MS}. Ignored for PGlite.
   */
  connectTimeoutMs?: number | undefined;
}

/**
 * How long opening a connection may take. `pg` waits forever by default, so a server that
 * accepts the socket and never answers (a failover in progress, a black-holed address) would
 * hold start-up, and every pool refill after it, without a word; bounded, it fails as a
 * transient error that start-up waits out with back-off and `/ready` names. A healthy connect
 * takes milliseconds, and one that needs more than 10 s is not going to serve queries either.
 */
export const DATABASE_CONNECT_TIMEOUT_MS = 10_000;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * knex calls its delete method `del`; knex-pglite turns that into the command "DEL", which
 * knex's Postgres response handling does not know, so `delete()` returned the raw result instead
 * of the number of rows deleted. Renaming the method before the response is processed gives the
 * same answer as with `pg`.
 */
async function embeddedPostgresClient(): Promise<Knex.Config["client"]> {
  // Loaded here, not at the top: PGlite is a development dependency (see importDevelopmentOnly).
  const { default: ClientPgLite } = await importDevelopmentOnly<{ default: unknown }>(
    "knex-pglite",
    "Postgres (PGlite)",
  );
  class EmbeddedPostgresClient extends (ClientPgLite as unknown as new (
    config: unknown,
  ) => {
    processResponse(obj: { method?: string }, runner: unknown): unknown;
  }) {
    override processResponse(obj: { method?: string }, runner: unknown): unknown {
      return super.processResponse(
        obj?.method === "del" ? { ...obj, method: "delete" } : obj,
        runner,
      );
    }
  }
  return EmbeddedPostgresClient as unknown as Knex.Config["client"];
}

/**
 * Opens the database: knex with `pg` when `databaseUrl` is set, otherwise embedded Postgres
 * (PGlite through knex-pglite). The schema is created when missing and set as the search path,
 * so each service owns its tables without qualifying them.
 */
export async function createDatabase(options: DatabaseOptions = {}): Promise<Database> {
  const schema = options.schema ?? "public";
  if (!SCHEMA_NAME.test(schema)) {
    throw PlatformErrors.create(
      PlatformErrorCode.configInvalid,
      `Schema name "${schema}" is not valid: use lower-case letters, digits and underscores, starting with a letter or underscore, at most 63 characters.`,
      { schema },
    );
  }
  const kind = options.databaseUrl ? "postgres" : "embedded";
  // knex prints to the console by default; route it to the process logger instead.
  const log = {
    warn: (message: unknown) => options.logger?.warn({ knex: message }, "knex warning"),
    error: (message: unknown) => options.logger?.debug({ knex: message }, "knex error"),
    deprecate: (message: unknown) => options.logger?.warn({ knex: message }, "knex deprecation"),
    debug: () => {},
  };
  const knex =
    kind === "postgres"
      ? knexFactory({
          client: "pg",
          connection: {
            connectionString: options.databaseUrl,
            connectionTimeoutMillis: options.connectTimeoutMs ?? DATABASE_CONNECT_TIMEOUT_MS,
          },
          searchPath: [schema],
          pool: options.pool ?? { min: 2, max: 10 },
          log,
        })
      : knexFactory({
          client: await embeddedPostgresClient(),
          dialect: "postgres",
          connection: options.embeddedDataDir ? { filename: options.embeddedDataDir } : {},
          searchPath: [schema],
          // The first connection starts PGlite (compiling its WebAssembly), which takes seconds
          // and more on a busy machine; knex's default wait would give up first.
          acquireConnectionTimeout: 180_000,
          log,
        });
  try {
    await ensureSchema(knex, schema);
  } catch (cause) {
    await knex.destroy();
    const where = kind === "postgres" ? redactUrl(options.databaseUrl ?? "") : "embedded PGlite";
    throw PlatformErrors.create(
      PlatformErrorCode.databaseUnavailable,
      `Could not open the database (${where}): ${(cause as Error).message}. ` +
        "Check DATABASE_URL (host, port, user, password, database name) and that the server accepts connections.",
      { kind, schema },
      { cause },
    );
  }
  if (kind === "postgres") {
    const pipe = new StatementPipe(options.databaseUrl ?? "", schema);
    return {
      knex,
      kind,
      schema,
      statement: pipe.run,
      close: async () => {
        await pipe.close();
        await knex.destroy();
      },
    };
  }
  return { knex, kind, schema, statement: embeddedStatement(knex), close: () => knex.destroy() };
}

/**
 * PGlite has one connection, which knex's pool hands out; taking it from the pool makes a
 * statement wait for a knex transaction in progress instead of running inside it.
 */
function embeddedStatement(knex: Knex): RunStatement {
  const client = knex.client as {
    acquireConnection(): Promise<{ query(text: string, values: unknown[]): Promise<unknown> }>;
    releaseConnection(connection: unknown): Promise<void>;
  };
  return async <Row>(_name: string, text: string, values: readonly unknown[]) => {
    const connection = await client.acquireConnection();
    try {
      const result = (await connection.query(text, [...values])) as { rows: Row[] };
      return { rows: result.rows };
    } finally {
      await client.releaseConnection(connection);
    }
  };
}

async function ensureSchema(knex: Knex, schema: string): Promise<void> {
  try {
    await knex.raw("CREATE SCHEMA IF NOT EXISTS ??", [schema]);
  } catch (error) {
    // Two processes creating the same schema at once: IF NOT EXISTS does not make that atomic,
    // and the loser gets a unique violation (23505) or duplicate_schema (42P06). Both are fine.
    const code = (error as { code?: string }).code;
    if (code !== "23505" && code !== "42P06") throw error;
  }
}

/** Hides the password of a connection URL before it is logged or shown. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}
