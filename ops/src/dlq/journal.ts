// The replay journal and audit, in Postgres (schema `ops`). A run records, per DLQ message, each
// step of send-then-delete before it is taken, with the message itself, so a replay killed at any
// point resumes without sending twice and without losing anything.
import { randomUUID } from "node:crypto";
import {
  createDatabase,
  type Database,
  type Knex,
  type Migration,
  runMigrations,
} from "@sagaworks/platform";
import { OpsErrorCode, OpsErrors } from "../errors.ts";

/** The schema the journal lives in. */
export const OPS_SCHEMA = "ops";

/** Ordered migrations of the `ops` schema. */
export const opsMigrations: readonly Migration[] = [
  {
    name: "0001-create-replay-journal",
    async up(knex) {
      await knex.schema.createTable("replay_runs", (table) => {
        table.uuid("id").primary();
        table.text("dlq").notNullable();
        table.text("source_queue").notNullable();
        table.text("actor").notNullable();
        table.text("mode").notNullable();
        table.jsonb("options").notNullable();
        table.text("status").notNullable();
        table.text("outcome");
        table.timestamp("started_at", { useTz: true }).notNullable();
        table.timestamp("updated_at", { useTz: true }).notNullable();
        table.timestamp("finished_at", { useTz: true });
        table.index(["dlq", "status"]);
      });
      await knex.schema.createTable("replay_entries", (table) => {
        table.uuid("run_id").notNullable().references("id").inTable("replay_runs");
        table.text("dlq_message_id").notNullable();
        table.text("envelope_message_id");
        table.text("saga_id");
        table.text("name");
        table.text("state").notNullable();
        table.text("verdict");
        table.text("explanation");
        table.text("body").notNullable();
        table.jsonb("attributes").notNullable();
        table.timestamp("updated_at", { useTz: true }).notNullable();
        table.primary(["run_id", "dlq_message_id"]);
        table.index(["run_id", "envelope_message_id"]);
      });
    },
  },
];

/** The part of a `pg` connection the replay lock uses. */
interface PgConnection {
  query(sql: string, values: unknown[]): Promise<{ rows: { locked?: boolean }[] }>;
}

/** What a run does: a saga-aware replay, or a deletion of messages no replay will use. */
export const RunMode = {
  replay: "saga-aware",
  delete: "delete",
} as const;
export type RunMode = (typeof RunMode)[keyof typeof RunMode];

/** Where one DLQ message is in a run. */
export const EntryState = {
  /** About to be sent to the source queue: on resume, whether it was is found out first. */
  sending: "sending",
  /** Its copy is in the source queue; the DLQ original still has to be deleted. */
  sent: "sent",
  /** A deletion run is about to delete it from the DLQ (its body is kept here). */
  deleting: "deleting",
  /** Deleted from the DLQ: sent first by a replay, or thrown away by a deletion. Done. */
  deleted: "deleted",
  /** Left in the DLQ, with the reason. */
  skipped: "skipped",
  /** A replayed message that failed again and came back to the DLQ. */
  returned: "returned",
} as const;
export type EntryState = (typeof EntryState)[keyof typeof EntryState];

/** A run as the journal keeps it. */
export interface ReplayRun {
  id: string;
  dlq: string;
  sourceQueue: string;
  actor: string;
  mode: string;
  options: Record<string, unknown>;
  status: string;
  outcome: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

/** One DLQ message's record in a run. */
export interface ReplayEntry {
  runId: string;
  dlqMessageId: string;
  envelopeMessageId: string | null;
  sagaId: string | null;
  name: string | null;
  state: EntryState;
  verdict: string | null;
  explanation: string | null;
  body: string;
  attributes: Record<string, string>;
  updatedAt: Date;
}

type RunRow = {
  id: string;
  dlq: string;
  source_queue: string;
  actor: string;
  mode: string;
  options: Record<string, unknown>;
  status: string;
  outcome: string | null;
  started_at: Date;
  finished_at: Date | null;
};

type EntryRow = {
  run_id: string;
  dlq_message_id: string;
  envelope_message_id: string | null;
  saga_id: string | null;
  name: string | null;
  state: EntryState;
  verdict: string | null;
  explanation: string | null;
  body: string;
  attributes: Record<string, string>;
  updated_at: Date;
};

const toRun = (row: RunRow): ReplayRun => ({
  id: row.id,
  dlq: row.dlq,
  sourceQueue: row.source_queue,
  actor: row.actor,
  mode: row.mode,
  options: row.options,
  status: row.status,
  outcome: row.outcome,
  startedAt: new Date(row.started_at),
  finishedAt: row.finished_at ? new Date(row.finished_at) : null,
});

const toEntry = (row: EntryRow): ReplayEntry => ({
  runId: row.run_id,
  dlqMessageId: row.dlq_message_id,
  envelopeMessageId: row.envelope_message_id,
  sagaId: row.saga_id,
  name: row.name,
  state: row.state,
  verdict: row.verdict,
  explanation: row.explanation,
  body: row.body,
  attributes: row.attributes,
  updatedAt: new Date(row.updated_at),
});

/** What an entry is written with. */
export type EntryInput = Omit<ReplayEntry, "runId" | "updatedAt">;

/** The replay journal on one database. */
export class ReplayJournal {
  readonly db: Database;
  private readonly knex: Knex;

  private constructor(db: Database) {
    this.db = db;
    this.knex = db.knex;
  }

  /**
   * Opens the journal and applies its migrations: on Postgres at `databaseUrl`, or, without one,
   * in an embedded database kept in `dataDir` (a dev setting).
   */
  static async open(where: {
    databaseUrl?: string | undefined;
    dataDir?: string | undefined;
    schema?: string;
  }): Promise<ReplayJournal> {
    const db = await createDatabase({
      databaseUrl: where.databaseUrl || undefined,
      embeddedDataDir: where.databaseUrl ? undefined : where.dataDir,
      schema: where.schema ?? OPS_SCHEMA,
      pool: { min: 0, max: 2 },
    });
    try {
      await runMigrations(db, opsMigrations, { table: "ops_migrations" });
    } catch (error) {
      await db.close();
      throw error;
    }
    return new ReplayJournal(db);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /**
   * Takes the replay lock of a DLQ for as long as this process lives (a Postgres session
   * advisory lock, so a killed process frees it), or returns undefined when another replay
   * holds it: two replays of one DLQ would each think they own its unfinished run.
   * Returns the release function. The embedded journal has one process by construction.
   */
  async lockDlq(dlq: string): Promise<(() => Promise<void>) | undefined> {
    if (this.db.kind === "embedded") return async () => {};
    const client = this.knex.client as {
      acquireConnection(): Promise<PgConnection>;
      releaseConnection(connection: PgConnection): Promise<void>;
    };
    const connection = await client.acquireConnection();
    const key = `sagaworks-ops-replay:${dlq}`;
    const result = await connection.query("select pg_try_advisory_lock(hashtext($1)) as locked", [
      key,
    ]);
    if (!result.rows[0]?.locked) {
      await client.releaseConnection(connection);
      return undefined;
    }
    return async () => {
      await connection.query("select pg_advisory_unlock(hashtext($1))", [key]);
      await client.releaseConnection(connection);
    };
  }

  /**
   * Runs `work` holding the DLQ's lock (see {@link lockDlq}), or refuses at once when a replay or
   * deletion of it runs elsewhere.
   */
  async whileLocked<T>(dlq: string, work: () => Promise<T>): Promise<T> {
    const unlock = await this.lockDlq(dlq);
    if (!unlock) {
      throw OpsErrors.create(
        OpsErrorCode.queueLocked,
        `Another replay or deletion of ${dlq} is running (it holds the DLQ's lock); wait for it, or see ops dlq history.`,
      );
    }
    try {
      return await work();
    } finally {
      await unlock();
    }
  }

  /** The unfinished run of this mode on this DLQ, if one was interrupted. */
  async unfinishedRun(dlq: string, mode: RunMode): Promise<ReplayRun | undefined> {
    const row = (await this.knex("replay_runs")
      .where({ dlq, mode, status: "running" })
      .orderBy("started_at", "desc")
      .first()) as RunRow | undefined;
    return row ? toRun(row) : undefined;
  }

  /**
   * The DLQ's interrupted run of this mode, to resume, or a new one that `by.actor` starts on
   * `by.queue` with these options (a replay and a deletion open their runs alike).
   */
  async resumeOrStartRun(
    by: { queue: { name: string; source: { name: string } }; actor: string },
    mode: RunMode,
    runOptions: Record<string, unknown> & { limit: number },
  ): Promise<{ run: ReplayRun; resumed: boolean }> {
    const dlq = by.queue.name;
    const unfinished = await this.unfinishedRun(dlq, mode);
    if (unfinished) return { run: unfinished, resumed: true };
    const { limit } = runOptions;
    // JSON has no Infinity: an unlimited run is recorded with a null limit.
    const options = { ...runOptions, limit: Number.isFinite(limit) ? limit : null };
    const input = { dlq, sourceQueue: by.queue.source.name, actor: by.actor, mode, options };
    return { run: await this.startRun(input), resumed: false };
  }

  /** Starts a run. */
  async startRun(input: {
    dlq: string;
    sourceQueue: string;
    actor: string;
    mode: RunMode;
    options: Record<string, unknown>;
  }): Promise<ReplayRun> {
    const now = new Date();
    const row: RunRow = {
      id: randomUUID(),
      dlq: input.dlq,
      source_queue: input.sourceQueue,
      actor: input.actor,
      mode: input.mode,
      options: input.options,
      status: "running",
      outcome: null,
      started_at: now,
      finished_at: null,
    };
    await this.knex("replay_runs").insert({
      ...row,
      options: JSON.stringify(row.options),
      updated_at: now,
    });
    return toRun(row);
  }

  /** Ends a run with its status (`finished`, `tripped`, `failed`) and a one-line outcome. */
  async finishRun(id: string, status: string, outcome: string): Promise<void> {
    const now = new Date();
    await this.knex("replay_runs")
      .where({ id })
      .update({ status, outcome, updated_at: now, finished_at: now });
  }

  /** Every entry of a run, by DLQ message id. */
  async entries(runId: string): Promise<Map<string, ReplayEntry>> {
    const rows = (await this.knex("replay_entries").where({ run_id: runId })) as EntryRow[];
    return new Map(rows.map((row) => [row.dlq_message_id, toEntry(row)]));
  }

  /** Writes an entry (insert or update), durably, before the step it records is taken. */
  async record(runId: string, entry: EntryInput): Promise<void> {
    const row = {
      run_id: runId,
      dlq_message_id: entry.dlqMessageId,
      envelope_message_id: entry.envelopeMessageId,
      saga_id: entry.sagaId,
      name: entry.name,
      state: entry.state,
      verdict: entry.verdict,
      explanation: entry.explanation,
      body: entry.body,
      attributes: JSON.stringify(entry.attributes),
      updated_at: new Date(),
    };
    await this.knex("replay_entries")
      .insert(row)
      .onConflict(["run_id", "dlq_message_id"])
      .merge(["state", "verdict", "explanation", "updated_at"]);
  }

  /** Runs, newest first. */
  async runs(limit = 20, dlq?: string): Promise<ReplayRun[]> {
    let query = this.knex("replay_runs").orderBy("started_at", "desc").limit(limit);
    if (dlq) query = query.where({ dlq });
    return ((await query) as RunRow[]).map(toRun);
  }

  /** One run by id (a prefix of at least 8 characters is enough). */
  async run(id: string): Promise<ReplayRun | undefined> {
    const row = (await this.knex("replay_runs")
      .whereRaw("id::text like ?", [`${id.replace(/[%_]/g, "")}%`])
      .first()) as RunRow | undefined;
    return row ? toRun(row) : undefined;
  }
}
