// Parent and child sagas, linked both ways for the inspector: a child's snapshot names its
// parent; a parent's children are found by the idempotency key each start used (one per sub-saga
// step and attempt), looked up exactly, so the unique index answers without a scan.
import type { Knex } from "@sagaworks/platform";
import type { CompiledSaga } from "@sagaworks/saga-definition";
import type { SagaSnapshot } from "@sagaworks/saga-engine";
import { childStartKey } from "./child-key.ts";

/** The sagas linked to one saga. */
export interface SagaLinks {
  parent: { sagaId: string; sagaName: string; step: string } | null;
  children: Array<{ step: string; attempt: number; sagaId: string; sagaName: string }>;
}

/** The parent and the children of a saga. */
export async function sagaLinks(
  knex: Knex,
  snapshot: SagaSnapshot,
  compiled: CompiledSaga,
): Promise<SagaLinks> {
  const parent = snapshot.parent
    ? {
        sagaId: snapshot.parent.sagaId,
        sagaName: snapshot.parent.sagaName,
        step: snapshot.parent.step,
      }
    : null;
  const wanted = new Map<string, { step: string; attempt: number; sagaName: string }>();
  for (const step of compiled.steps) {
    if (step.action.kind !== "saga") continue;
    const attempts = snapshot.steps[step.name]?.attempts ?? 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const key = childStartKey({ sagaId: snapshot.sagaId, step: step.name, attempt });
      wanted.set(key, { step: step.name, attempt, sagaName: step.action.saga.name });
    }
  }
  if (wanted.size === 0) return { parent, children: [] };
  const rows = (await knex("saga_instances")
    .whereIn("idempotency_key", [...wanted.keys()])
    .select("id", "idempotency_key")) as Array<{ id: string; idempotency_key: string }>;
  const children = rows
    .flatMap((row) => {
      const link = wanted.get(row.idempotency_key);
      return link ? [{ ...link, sagaId: row.id }] : [];
    })
    .sort((a, b) => a.step.localeCompare(b.step) || a.attempt - b.attempt);
  return { parent, children };
}
