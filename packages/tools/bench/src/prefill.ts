/**
 * SQL that adds `rows` finished create-order instances to saga_instances, copied from one that
 * the warm-up completed, so a run can measure the engine with a table as big as production's.
 * Their snapshots are copies (never loaded again); ids and timestamps are new.
 */
export function prefillSql(rows: number): string {
  const count = Math.max(0, Math.floor(rows));
  return `INSERT INTO saga_instances
      (id, saga_name, saga_version, saga_hash, status, state, snapshot, revision, idempotency_key,
       trace_id, created_at, updated_at)
    SELECT gen_random_uuid(), t.saga_name, t.saga_version, t.saga_hash, t.status, t.state,
           t.snapshot, t.revision, NULL, t.trace_id,
           now() - make_interval(secs => n), now() - make_interval(secs => n)
    FROM (SELECT * FROM saga_instances WHERE status = 'completed' LIMIT 1) t,
         generate_series(1, ${count}) n`;
}
