import type { Migration } from "@sagaworks/platform";

/**
 * A dead-letter table for outbox rows that can never be sent, and a counter of replies naming a
 * step the saga does not have (recorded bounded instead of one history row each).
 */
export const outboxParkingAndJunkReplies: Migration = {
  name: "0002-outbox-parking-and-junk-replies",
  async up(knex) {
    await knex.schema.createTable("saga_outbox_parked", (table) => {
      // The outbox row's own id, so an operator can follow it from the logs.
      table.bigInteger("id").primary();
      table.uuid("saga_id").notNullable();
      table.text("kind").notNullable();
      table.text("destination").notNullable();
      table.jsonb("message").notNullable();
      table.integer("attempts").notNullable();
      table.text("reason").notNullable();
      table.timestamp("parked_at", { useTz: true }).notNullable();
      table.index(["saga_id"]);
    });
    await knex.schema.alterTable("saga_instances", (table) => {
      table.integer("junk_replies").notNullable().defaultTo(0);
    });
  },
};
