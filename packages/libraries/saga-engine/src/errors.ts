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
