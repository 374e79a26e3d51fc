import { defineErrors, type ErrorCodeOf, type ErrorOf } from "@sagaworks/errors";

/** The engine's errors: each is a bug in the caller, not a saga outcome. */
export const EngineErrors = defineErrors("@sagaworks/saga-engine", {
  noSnapshot: { code: "ENGINE_NO_SNAPSHOT" },
  definitionMismatch: { code: "ENGINE_DEFINITION_MISMATCH" },
  unknownStep: { code: "ENGINE_UNKNOWN_STEP" },
  unknownState: { code: "ENGINE_UNKNOWN_STATE" },
});
/** Stable codes of the engine's errors. */
export const EngineErrorCode = EngineErrors.codes;
export type EngineErrorCode = ErrorCodeOf<typeof EngineErrors>;
/** An engine error (narrow with `EngineErrors.is`). */
export type EngineError = ErrorOf<typeof EngineErrors>;

/**
 * Why the engine refuses an operator action (or a wait completed by hand): returned in a
 * transition's `refused`, never thrown, and answered by the API with 409 and the code.
 */
export const EngineRefusals = defineErrors("@sagaworks/saga-engine refusals", {
  sagaTerminal: { code: "SAGA_TERMINAL", status: 409 },
  stepNotPending: { code: "STEP_NOT_PENDING", status: 409 },
  expectationMissing: { code: "EXPECTATION_MISSING", status: 409 },
  sagaMovedOn: { code: "SAGA_MOVED_ON", status: 409 },
  nothingToRetry: { code: "NOTHING_TO_RETRY", status: 409 },
  nothingToSkip: { code: "NOTHING_TO_SKIP", status: 409 },
  pivotNotSkippable: { code: "PIVOT_NOT_SKIPPABLE", status: 409 },
  skipOutputInvalid: { code: "SKIP_OUTPUT_INVALID", status: 409 },
  stepInFlight: { code: "STEP_IN_FLIGHT", status: 409 },
  alreadyCompensating: { code: "ALREADY_COMPENSATING", status: 409 },
  nothingToCompensate: { code: "NOTHING_TO_COMPENSATE", status: 409 },
  pivotPassed: { code: "PIVOT_PASSED", status: 409 },
  pivotOutcomeUnknown: { code: "PIVOT_OUTCOME_UNKNOWN", status: 409 },
  notParked: { code: "NOT_PARKED", status: 409 },
  notWaiting: { code: "NOT_WAITING", status: 409 },
  eventNotWaitedFor: { code: "EVENT_NOT_WAITED_FOR", status: 409 },
  eventPayloadInvalid: { code: "EVENT_PAYLOAD_INVALID", status: 409 },
  waitStillOpen: { code: "WAIT_STILL_OPEN", status: 409 },
  childSagaInFlight: { code: "CHILD_SAGA_IN_FLIGHT", status: 409 },
});
/** Stable codes of the engine's refusals. */
export const EngineRefusalCode = EngineRefusals.codes;
export type EngineRefusalCode = ErrorCodeOf<typeof EngineRefusals>;
