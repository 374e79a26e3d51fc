import type { Migration } from "@sagaworks/platform";

/** The demo's own table: the inbox that makes a redelivered reply a no-op. */
export const roundTripMigrations: Migration[] = [
  {
    name: "0001-create-round-trip-inbox",
    up: (knex) =>
      knex.schema.createTable("round_trip_inbox", (table) => {
        table.uuid("message_id").primary();
        table.uuid("causation_id").notNullable();
        table.uuid("run_id").notNullable().index();
        table.timestamp("received_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
      }),
  },
];
