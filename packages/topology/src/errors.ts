/** Stable codes of the topology package's errors. */
export const TopologyErrorCode = {
  invalid: "TOPOLOGY_INVALID",
  applyFailed: "TOPOLOGY_APPLY_FAILED",
  missing: "TOPOLOGY_MISSING",
} as const;
export type TopologyErrorCode = (typeof TopologyErrorCode)[keyof typeof TopologyErrorCode];

/** An error with a stable `code`, a message that says what to do, and `details`. */
export class TopologyError extends Error {
  readonly code: TopologyErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: TopologyErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TopologyError";
    this.code = code;
    this.details = details;
  }
}
