/** Stable codes of the orchestrator's errors. */
export const OrchestratorErrorCode = {
  definitionConflict: "SAGA_DEFINITION_CONFLICT",
  definitionsInvalid: "SAGA_DEFINITIONS_INVALID",
  definitionUnknown: "SAGA_DEFINITION_UNKNOWN",
  sagaNotFound: "SAGA_NOT_FOUND",
  inputInvalid: "SAGA_INPUT_INVALID",
  inputTooLarge: "SAGA_INPUT_TOO_LARGE",
  actionRefused: "SAGA_ACTION_REFUSED",
  routingUnknown: "SAGA_ROUTING_UNKNOWN",
} as const;
export type OrchestratorErrorCode =
  (typeof OrchestratorErrorCode)[keyof typeof OrchestratorErrorCode];

/** An error with a stable `code`, a message that says what to do, and `details`. */
export class OrchestratorError extends Error {
  readonly code: OrchestratorErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: OrchestratorErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "OrchestratorError";
    this.code = code;
    this.details = details;
  }
}
