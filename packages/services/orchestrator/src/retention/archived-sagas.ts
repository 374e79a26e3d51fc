// A pruned saga's id keeps answering: the API's reads say where its record was archived
// instead of "no such saga".
import type { Knex } from "@sagaworks/platform";
import type { SagaPort } from "../api/ports.ts";
import { OrchestratorErrorCode, OrchestratorErrors } from "../errors.ts";
import { archiveEntriesOf, NOT_ARCHIVED } from "./retention-store.ts";

/**
 * `sagas` whose `load` of an unknown id looks the id up in the archive index: a pruned saga
 * throws SAGA_ARCHIVED (410) naming the archive object, an id never seen SAGA_NOT_FOUND as before.
 */
export function withArchivedSagas(sagas: SagaPort, knex: Knex): SagaPort {
  return {
    start: (saga, input, options) => sagas.start(saga, input, options),
    apply: (sagaId, event, options) => sagas.apply(sagaId, event, options),
    list: (query) => sagas.list(query),
    async load(sagaId) {
      try {
        return await sagas.load(sagaId);
      } catch (error) {
        if (!OrchestratorErrors.is(error, OrchestratorErrorCode.sagaNotFound)) throw error;
        const entries = await archiveEntriesOf(knex, sagaId);
        const newest = entries[0];
        if (!newest) throw error;
        const archived = newest.location !== NOT_ARCHIVED;
        throw OrchestratorErrors.create(
          OrchestratorErrorCode.sagaArchived,
          archived
            ? `Saga ${sagaId} finished and was pruned on ${newest.archivedAt.toISOString()}; its record (instance and history) is archived in ${newest.location}, one JSON line per saga.`
            : `Saga ${sagaId} finished and was pruned on ${newest.archivedAt.toISOString()} without an archive (SAGA_ARCHIVE=none).`,
          {
            sagaId,
            prunedAt: newest.archivedAt.toISOString(),
            location: archived ? newest.location : null,
            // Every object holding it, newest first: an interrupted prune writes a saga twice.
            locations: entries
              .filter((entry) => entry.location !== NOT_ARCHIVED)
              .map((entry) => entry.location),
          },
        );
      }
    },
  };
}
