import type { Migration } from "@sagaworks/platform";

/**
 * A snapshot's `pending` becomes a map by step (the step's name → its pending work): the one
 * object of an earlier release becomes a map of its one step, null an empty map. A map is left
 * alone (its values are objects, so `waitingFor` is never a string at the top).
 */
export const pendingByStep: Migration = {
  name: "0003-pending-by-step",
  async up(knex) {
    await knex.raw(`
      update saga_instances
      set snapshot = jsonb_set(
        snapshot,
        '{pending}',
        case
          when jsonb_typeof(snapshot->'pending'->'waitingFor') = 'string'
            then jsonb_build_object(snapshot->'pending'->>'step', snapshot->'pending')
          else '{}'::jsonb
        end
      )
      where snapshot->'pending' is null
        or jsonb_typeof(snapshot->'pending') = 'null'
        or jsonb_typeof(snapshot->'pending'->'waitingFor') = 'string'
    `);
  },
};
