/** Stable codes of the engine's errors: each is a bug in the caller, not a saga outcome. */
export const EngineErrorCode = {
  noSnapshot: "ENGINE_NO_SNAPSHOT",
  definitionMismatch: "ENGINE_DEFINITION_MISMATCH",
  unknownStep: "ENGINE_UNKNOWN_STEP",
  unknownState: "ENGINE_UNKNOWN_STATE",
} as const;
export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

/** An error with a stable `code`, a message that says what to do, and `details`. */
export class EngineError extends Error {
  readonly code: EngineErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: EngineErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "EngineError";
    this.code = code;
    this.details = details;
  }
}
