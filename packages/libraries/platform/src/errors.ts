import { defineErrors, type ErrorCodeOf, type ErrorOf } from "@sagaworks/errors";

/** Every error the platform package raises; none reaches HTTP (most stop a process at start). */
export const PlatformErrors = defineErrors("@sagaworks/platform", {
  configInvalid: { code: "CONFIG_INVALID" },
  databaseUnavailable: { code: "DATABASE_UNAVAILABLE" },
  migrationFailed: { code: "MIGRATION_FAILED" },
  embeddedBrokerFailed: { code: "EMBEDDED_BROKER_FAILED" },
  developmentDependencyMissing: { code: "DEVELOPMENT_DEPENDENCY_MISSING" },
  testBackendUnavailable: { code: "TEST_BACKEND_UNAVAILABLE" },
  /** A statement sent after the pool was closed (a caller still working during shutdown). */
  databaseClosed: { code: "DATABASE_CLOSED" },
  /** SQS answered a hot call with success but a body that is not its JSON protocol's. */
  awsResponseUnreadable: { code: "AWS_RESPONSE_UNREADABLE" },
});
/** Stable codes of every error the platform package raises. */
export const PlatformErrorCode = PlatformErrors.codes;
export type PlatformErrorCode = ErrorCodeOf<typeof PlatformErrors>;
/** A platform error (narrow with `PlatformErrors.is`). */
export type PlatformError = ErrorOf<typeof PlatformErrors>;
