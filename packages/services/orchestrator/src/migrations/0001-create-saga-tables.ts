import { createOutboxTable } from "@sagaworks/messaging";
import type { Migration } from "@sagaworks/platform";

/** Definitions, instances, history, outbox, inbox and timers: everything the orchestrator keeps. */
export const createSagaTables: Migration = {
  name: "0001-create-saga-tables",
  async up(knex) {
    // Every compiled definition ever started, so a running instance always finds the exact
    // machine it began on, whatever is deployed now.
    await knex.schema.createTable("saga_definitions", (table) => {
      table.text("name").notNullable();
      table.integer("version").notNullable();
      table.text("hash").notNullable();
      table.jsonb("compiled").notNullable();
      table.timestamp("registered_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
      table.primary(["name", "version"]);
    });
    await knex.schema.createTable("saga_instances", (table) => {
      table.uuid("id").primary();
      table.text("saga_name").notNullable();
      table.integer("saga_version").notNullable();
      table.text("saga_hash").notNullable();
      table.text("status").notNullable();
      table.text("state").notNullable();
      table.jsonb("snapshot").notNullable();
      // Bumped on every applied transition: an ETag for API readers and a cheap change check.
      table.integer("revision").notNullable().defaultTo(0);
      table.text("idempotency_key").unique();
      table.text("trace_id").notNullable();
      table.timestamp("created_at", { useTz: true }).notNullable();
      table.timestamp("updated_at", { useTz: true }).notNullable();
      table
        .foreign(["saga_name", "saga_version"])
        .references(["name", "version"])
        .inTable("saga_definitions");
      table.index(["status", "created_at"]);
      table.index(["saga_name", "created_at"]);
    });
    // Append-only: one row per event offered to an instance, applied or not.
    await knex.schema.createTable("saga_history", (table) => {
      table.bigIncrements("id").primary();
      table.uuid("saga_id").notNullable().references("id").inTable("saga_instances");
      table.integer("seq").notNullable();
      table.timestamp("at", { useTz: true }).notNullable();
      table.text("event_type").notNullable();
      table.jsonb("event").notNullable();
      table.boolean("applied").notNullable();
      table.text("note").notNullable();
      table.text("status").notNullable();
      table.text("state").notNullable();
      table.text("actor");
      table.text("reason");
      table.jsonb("effects").notNullable();
      table.index(["saga_id", "id"]);
    });
    await createOutboxTable(knex, "saga_outbox", (table) => table.uuid("saga_id").notNullable());
    await knex.schema.createTable("saga_inbox", (table) => {
      table.text("message_id").primary();
      table.uuid("saga_id").notNullable();
      table.timestamp("received_at", { useTz: true }).notNullable();
    });
    await knex.schema.createTable("saga_timers", (table) => {
      table.text("id").primary();
      table.uuid("saga_id").notNullable();
      table.timestamp("fire_at", { useTz: true }).notNullable();
      table.jsonb("event").notNullable();
      table.index(["fire_at"]);
    });
  },
};
