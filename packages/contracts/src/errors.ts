// The one error module of the contracts package.

/** Stable codes of every error the contracts package raises. */
export const ContractErrorCode = {
  serviceUnknown: "CONTRACT_SERVICE_UNKNOWN",
  commandUnknown: "CONTRACT_COMMAND_UNKNOWN",
} as const;
export type ContractErrorCode = (typeof ContractErrorCode)[keyof typeof ContractErrorCode];

/** An error with a stable `code`, a message that says what to do, and structured `details`. */
export class ContractError extends Error {
  readonly code: ContractErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: ContractErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ContractError";
    this.code = code;
    this.details = details;
  }
}
