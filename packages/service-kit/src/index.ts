export {
  type ErrorResolver,
  type ErrorResponse,
  type ErrorResponseBody,
  errorResponseBody,
  type FieldProblem,
  toErrorResponse,
} from "./error-response.ts";
export { HttpError, ServiceErrorCode } from "./errors.ts";
export {
  CURSOR_INVALID,
  cursorText,
  cursorTimestamp,
  decodePageCursor,
  encodePageCursor,
} from "./page-cursor.ts";
export {
  type ParticipantProcessConfig,
  type ParticipantService,
  type ParticipantServiceDefinition,
  type ParticipantServiceDeps,
  startParticipantProcess,
  startParticipantService,
} from "./participant-service.ts";
export { pageQueryShape, urlSafeId } from "./request-schemas.ts";
export {
  type ListenableApp,
  type ProcessTelemetry,
  type RunningService,
  type RunServiceOptions,
  runService,
  type StartedService,
} from "./run-service.ts";
export { createServiceApp, type ServiceApp, type ServiceAppOptions } from "./service-app.ts";
