import type { Migration } from "@sagaworks/platform";

/** Creates the customers table. */
export const createCustomers: Migration = {
  name: "0001-create-customers",
  async up(knex) {
    await knex.schema.createTable("customers", (table) => {
      // Byte-order collation: list pages are keyed on id, and the order (hence the pages) must
      // not depend on the locale the server was initialised with.
      table.specificType("id", 'text COLLATE "C"').primary();
      table.text("name").notNullable();
      table.text("email").notNullable();
      // bigint: limits go up to the contract's 10^11 cents, past a 32-bit integer.
      table.bigInteger("credit_limit_cents").notNullable();
      table.text("status").notNullable();
      table.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
      table.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
      table.check("credit_limit_cents >= 0", [], "customers_credit_limit_not_negative");
      table.check("status in ('ACTIVE', 'SUSPENDED')", [], "customers_status_known");
    });
    // One customer per mailbox whatever the case the address was typed in.
    await knex.raw("create unique index customers_email_unique on customers (lower(email))");
    await knex.raw("create index customers_status_id on customers (status, id)");
  },
  async down(knex) {
    await knex.schema.dropTable("customers");
  },
};
