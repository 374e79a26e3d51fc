import { createOutboxTable } from "@sagaworks/messaging";
import type { Migration } from "@sagaworks/platform";

/** Name of the migrations table the SDK's own migrations are recorded in. */
export const PARTICIPANT_MIGRATIONS_TABLE = "participant_migrations";

/**
 * The SDK's tables, created in the service's own schema: the inbox (one row per idempotency
 * key: the reply it produced, or a guard left by an early compensation) and the reply outbox.
 * Run with `runMigrations(db, participantMigrations, { table: PARTICIPANT_MIGRATIONS_TABLE })`.
 */
export const participantMigrations: readonly Migration[] = [
  {
    name: "0001-create-participant-inbox-and-outbox",
    async up(knex) {
      await knex.schema.createTable("participant_inbox", (table) => {
        table.text("idempotency_key").primary();
        table.text("command").notNullable();
        table.uuid("saga_id").notNullable();
        // `replied`: the command ran and produced reply_name/reply_payload.
        // `guarded`: its compensation arrived first; the late command must be refused.
        table.text("status").notNullable();
        table.text("reply_name");
        table.jsonb("reply_payload");
        table.timestamp("received_at", { useTz: true }).notNullable();
      });
      await createOutboxTable(knex, "participant_outbox");
    },
  },
];
