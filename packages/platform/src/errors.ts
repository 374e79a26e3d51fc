/** Stable codes of every error the platform package raises. */
export const PlatformErrorCode = {
  configInvalid: "CONFIG_INVALID",
  databaseUnavailable: "DATABASE_UNAVAILABLE",
  migrationFailed: "MIGRATION_FAILED",
  embeddedBrokerFailed: "EMBEDDED_BROKER_FAILED",
  developmentDependencyMissing: "DEVELOPMENT_DEPENDENCY_MISSING",
  testBackendUnavailable: "TEST_BACKEND_UNAVAILABLE",
} as const;
export type PlatformErrorCode = (typeof PlatformErrorCode)[keyof typeof PlatformErrorCode];

/** An error with a stable `code`, a message that says what to do, and structured `details`. */
export class PlatformError extends Error {
  readonly code: PlatformErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: PlatformErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "PlatformError";
    this.code = code;
    this.details = details;
  }
}
