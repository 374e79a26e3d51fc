import type { Knex } from "@sagaworks/platform";
import { countByStatus, countInFlight, listInstances } from "./instances.ts";
import { outboxRowsOf } from "./outbox.ts";
import { timersOf } from "./timers.ts";

/** The inspector's and the in-flight route's reads over the database (the API's `InspectorPort`). */
export function inspectorReads(knex: Knex) {
  return {
    search: (query: Parameters<typeof listInstances>[1]) => listInstances(knex, query),
    counts: (filters: Parameters<typeof countByStatus>[1]) => countByStatus(knex, filters),
    timers: (sagaId: string) => timersOf(knex, sagaId),
    outbox: (sagaId: string) => outboxRowsOf(knex, sagaId),
    inFlight: (statuses: readonly string[], name?: string) => countInFlight(knex, statuses, name),
  };
}
