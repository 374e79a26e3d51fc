import type { Migration } from "@sagaworks/platform";

/** Creates the orders table. */
export const createOrders: Migration = {
  name: "0001-create-orders",
  async up(knex) {
    await knex.schema.createTable("orders", (table) => {
      // The saga's orderId; byte-order collation keeps tie-breaks in listings locale-independent.
      table.specificType("id", 'text COLLATE "C"').primary();
      table.specificType("customer_id", 'text COLLATE "C"').notNullable();
      table.jsonb("items").notNullable();
      // bigint: the contract allows totals up to 10^11 cents, past a 32-bit integer.
      table.bigInteger("total_cents").notNullable();
      table.text("status").notNullable();
      // Why the order was rejected or is being cancelled, as the saga said it.
      table.text("status_reason");
      table.text("note");
      // The saga that holds the order's semantic lock while it is PENDING or CANCELLING; a
      // compensation or a later step from another saga must not move an order it does not own.
      table.text("locked_by_saga");
      // Millisecond precision: list cursors carry created_at through a JS Date, which must
      // compare equal to the stored value or a page boundary would skip or repeat a row.
      table.timestamp("created_at", { useTz: true, precision: 3 }).notNullable();
      table.timestamp("updated_at", { useTz: true, precision: 3 }).notNullable();
      table.check("total_cents >= 0", [], "orders_total_not_negative");
      table.check(
        "status in ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLING', 'CANCELLED')",
        [],
        "orders_status_known",
      );
    });
    await knex.raw(
      "create index orders_customer_created on orders (customer_id, created_at desc, id desc)",
    );
  },
  async down(knex) {
    await knex.schema.dropTable("orders");
  },
};
