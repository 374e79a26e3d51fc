// What the API needs of the rest of the orchestrator: narrow interfaces, so the routes can be
// tested with `app.inject` over in-memory fakes, without a broker or a database.
import type { CompiledSaga, JsonValue } from "@sagaworks/saga-definition";
import type { SagaEvent, SagaStatus } from "@sagaworks/saga-engine";
import type { ApplyOptions, ApplyOutcome, SagaDetail } from "../saga-runtime.ts";
import type { InFlightCount, SagaFilters, SagaListQuery, SagaSummary } from "../store/instances.ts";
import type { PendingOutboxRow } from "../store/outbox.ts";
import type { SagaTimer } from "../store/timers.ts";

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

/** What the inspector reads besides the saga port, and the in-flight counts (the store implements it). */
export interface InspectorPort {
  /** Sagas newest first, filtered by name, status, age and text, at most `query.limit`. */
  search(query: SagaListQuery): Promise<SagaSummary[]>;
  /** How many sagas are in each status (absent: none), filtered by name and age. */
  counts(filters: SagaFilters): Promise<Partial<Record<SagaStatus, number>>>;
  /** The saga's pending timers, soonest first. */
  timers(sagaId: string): Promise<SagaTimer[]>;
  /** The saga's outbox rows still in the table, oldest first. */
  outbox(sagaId: string): Promise<PendingOutboxRow[]>;
  /** Sagas in these statuses counted by name, version, hash, status and state. */
  inFlight(statuses: readonly string[], name?: string): Promise<InFlightCount[]>;
}
