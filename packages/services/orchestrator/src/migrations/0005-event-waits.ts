import type { Migration } from "@sagaworks/platform";

/**
 * Waiting for outside events. The open wait and every key a saga ever waited on are read from
 * the snapshot by generated columns, so the commit path writes them with the snapshot and never
 * needs a statement of its own: `wait_key` is the key of the open wait of a running saga (a
 * unique index: two sagas cannot wait on one key), `waited_keys` every key its steps opened (an
 * event for a closed wait is late, not unknown). Events that arrive before their wait opens wait
 * in `saga_early_events` until it does, or until they expire.
 */
export const eventWaits: Migration = {
  name: "0005-event-waits",
  async up(knex) {
    await knex.raw(`
      alter table saga_instances
        add column wait_key text generated always as (
          case when status = 'running' then
            (jsonb_path_query_first(snapshot, '$.pending.*.wait.service') #>> '{}') || ':' ||
            (jsonb_path_query_first(snapshot, '$.pending.*.wait.key') #>> '{}')
          end
        ) stored,
        add column waited_keys jsonb generated always as (
          jsonb_path_query_array(snapshot, '$.steps.*.waitKey')
        ) stored
    `);
    await knex.raw(
      "create unique index saga_instances_wait_key_unique on saga_instances (wait_key) where wait_key is not null",
    );
    await knex.raw(
      "create index saga_instances_waited_keys on saga_instances using gin (waited_keys jsonb_path_ops)",
    );
    await knex.schema.createTable("saga_early_events", (table) => {
      table.text("event_id").primary();
      table.text("wait_key").notNullable().index();
      table.text("service").notNullable();
      table.text("name").notNullable();
      table.text("correlation_key").notNullable();
      table.jsonb("payload").notNullable();
      table.timestamp("received_at", { useTz: true }).notNullable();
      table.timestamp("expires_at", { useTz: true }).notNullable().index();
    });
  },
};
