import type { Knex } from "@sagaworks/platform";

/**
 * Adds `count` finished sagas that finished `ageMs` ago (spread over a day), each a copy of the
 * newest completed saga with its whole history, in statements of 20,000 sagas (set-based: a
 * million in a few minutes). The column lists are read from the table, so a column added later
 * is copied too (generated ones are left to Postgres). Returns how many were added.
 */
export async function prefillFinished(knex: Knex, count: number, ageMs: number): Promise<number> {
  if (count <= 0) return 0;
  const columns = async (table: string, skip: string[]) =>
    (
      (
        await knex.raw(
          // Generated columns (the open wait's key, and the like) are computed, never copied.
          "select column_name from information_schema.columns where table_schema = current_schema() and table_name = ? and is_generated = 'NEVER' order by ordinal_position",
          [table],
        )
      ).rows as { column_name: string }[]
    )
      .map((row) => row.column_name)
      .filter((name) => !skip.includes(name));
  const instance = await columns("saga_instances", [
    "id",
    "idempotency_key",
    "created_at",
    "updated_at",
  ]);
  const history = await columns("saga_history", ["id", "saga_id"]);
  const list = (names: string[], from: string) => names.map((n) => `${from}."${n}"`).join(", ");
  const quoted = (names: string[]) => names.map((n) => `"${n}"`).join(", ");
  let added = 0;
  while (added < count) {
    const n = Math.min(20_000, count - added);
    await knex.raw(
      `with src as (
         select * from saga_instances where status = 'completed' order by updated_at desc limit 1
       ),
       ids as materialized (
         select gen_random_uuid() as id,
                now() - make_interval(secs => ?::double precision / 1000)
                      - make_interval(secs => (g % 86400)) as at
         from generate_series(1, ?) g
       ),
       instances as (
         insert into saga_instances (id, ${quoted(instance)}, created_at, updated_at)
         select ids.id, ${list(instance, "src")}, ids.at, ids.at from ids, src
         returning id
       )
       insert into saga_history (saga_id, ${quoted(history)})
       select ids.id, ${list(history, "h")}
       from ids, src, saga_history h
       where h.saga_id = src.id`,
      [ageMs, n],
    );
    added += n;
  }
  return added;
}
