import type { Migration } from "@sagaworks/platform";

/** Creates the accounts and reservations tables. */
export const createAccounts: Migration = {
  name: "0001-create-accounts",
  async up(knex) {
    await knex.schema.createTable("accounts", (table) => {
      // Byte-order collation: list pages are keyed on customer_id, independent of the locale.
      table.specificType("customer_id", 'text COLLATE "C"').primary();
      // bigint: the contract's amounts go up to 10^11 cents, past a 32-bit integer.
      table.bigInteger("credit_limit_cents").notNullable();
      table.bigInteger("available_cents").notNullable();
      table.bigInteger("reserved_cents").notNullable();
      table.bigInteger("spent_cents").notNullable();
      table.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
      table.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
      table.check("available_cents >= 0", [], "accounts_available_not_negative");
      table.check("reserved_cents >= 0", [], "accounts_reserved_not_negative");
      table.check("spent_cents >= 0", [], "accounts_spent_not_negative");
      // Money is only ever moved between the three buckets, never made or lost: the database
      // refuses any write that would break this, whatever the code above it gets wrong.
      table.check(
        "credit_limit_cents = available_cents + reserved_cents + spent_cents",
        [],
        "accounts_money_conserved",
      );
    });
    await knex.schema.createTable("reservations", (table) => {
      table.specificType("order_id", 'text COLLATE "C"').primary();
      table
        .specificType("customer_id", 'text COLLATE "C"')
        .notNullable()
        .references("customer_id")
        .inTable("accounts");
      table.bigInteger("amount_cents").notNullable();
      table.text("status").notNullable();
      table.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
      table.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
      // Zero is allowed: the contract accepts free orders, and their reservation still records
      // that the order passed the credit check, so releasing it later finds it.
      table.check("amount_cents >= 0", [], "reservations_amount_not_negative");
      table.check("status in ('RESERVED', 'RELEASED')", [], "reservations_status_known");
    });
    await knex.raw(
      "create index reservations_customer_created on reservations (customer_id, created_at desc)",
    );
  },
  async down(knex) {
    await knex.schema.dropTable("reservations");
    await knex.schema.dropTable("accounts");
  },
};
