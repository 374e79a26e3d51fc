import type { Migration } from "@sagaworks/platform";

/**
 * What retention needs: an index that finds finished sagas by the time they finished, one that
 * finds inbox rows by age, the index of archived batches (so a pruned id still says where its
 * record went), and the one row that says whether pruning is paused and which replica holds
 * the pruning lease.
 */
export const sagaRetention: Migration = {
  name: "0006-saga-retention",
  async up(knex) {
    // Partial: only finished sagas are ever pruned, and they are the bulk of the table, so the
    // index the pruner scans holds nothing a transition writes to while a saga runs.
    await knex.raw(`
      create index saga_instances_finished_at on saga_instances (updated_at)
      where status in ('completed', 'compensated', 'failed', 'resolved')
    `);
    await knex.schema.alterTable("saga_inbox", (table) => {
      table.index(["received_at"], "saga_inbox_received_at");
    });
    // One row per archived batch, not per saga: the ids as an array with a GIN index, so a
    // million pruned sagas cost two thousand rows and a lookup by id stays one index probe.
    await knex.schema.createTable("saga_archive_batches", (table) => {
      table.bigIncrements("id").primary();
      table.text("location").notNullable();
      table.timestamp("archived_at", { useTz: true }).notNullable();
      table.integer("saga_count").notNullable();
      table.specificType("saga_ids", "uuid[]").notNullable();
      table.index(["archived_at"]);
    });
    await knex.raw(
      "create index saga_archive_batches_saga_ids on saga_archive_batches using gin (saga_ids)",
    );
    await knex.schema.createTable("saga_retention_control", (table) => {
      // Always 1: a single row every replica reads and leases.
      table.integer("id").primary();
      table.boolean("paused").notNullable().defaultTo(false);
      table.text("paused_by");
      table.timestamp("paused_at", { useTz: true });
      table.text("lease_holder");
      table.timestamp("lease_until", { useTz: true });
    });
    await knex("saga_retention_control").insert({ id: 1 });
  },
};
