import type { Migration } from "@sagaworks/platform";

/**
 * Records which saga made each reservation, so a compensation releases only what its own saga
 * reserved. Null on reservations made before this migration: their owner is
 * unknown, and they keep the old rule (released by order id).
 */
export const addReservationSaga: Migration = {
  name: "0002-reservation-saga",
  async up(knex) {
    await knex.schema.alterTable("reservations", (table) => {
      table.text("saga_id");
    });
  },
  async down(knex) {
    await knex.schema.alterTable("reservations", (table) => {
      table.dropColumn("saga_id");
    });
  },
};
