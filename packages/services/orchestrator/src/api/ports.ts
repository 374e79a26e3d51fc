// What the API needs of the rest of the orchestrator: narrow interfaces, so the routes can be
// tested with `app.inject` over in-memory fakes, without a broker or a database.
import type { CompiledSaga, JsonValue } from "@sagaworks/saga-definition";
import type { SagaEvent } from "@sagaworks/saga-engine";
import type { ApplyOptions, ApplyOutcome, SagaDetail } from "../saga-runtime.ts";
import type { SagaListQuery, SagaSummary } from "../store/instances.ts";

/** Starting, reading and acting on sagas (the runtime implements it). */
export interface SagaPort {
  /** Starts a saga; with an idempotency key, a repeat returns the first one's id. */
  start(
    saga: CompiledSaga,
    input: JsonValue,
    options: { idempotencyKey?: string; actor?: string },
  ): Promise<{ sagaId: string; created: boolean }>;
  /** Applies an event (operator actions) in one transaction. */
  apply(sagaId: string, event: SagaEvent, options?: ApplyOptions): Promise<ApplyOutcome>;
  /** A saga with its history; throws `SAGA_NOT_FOUND` for an unknown id. */
  load(sagaId: string): Promise<SagaDetail>;
  /** Sagas newest first, filtered, at most `query.limit`. */
  list(query: SagaListQuery): Promise<SagaSummary[]>;
}

/** The definitions the API starts and shows (the definition registry implements it). */
export interface DefinitionPort {
  /** What new sagas of this name start on. */
  deployed(name: string): CompiledSaga | undefined;
  allDeployed(): CompiledSaga[];
  /** Every stored definition, deployed or not. */
  all(): CompiledSaga[];
}

/** Counters `/metrics.json` shows (Prometheus text is at `/metrics`). */
export interface MetricsPort {
  toJSON(): Record<string, number>;
}
