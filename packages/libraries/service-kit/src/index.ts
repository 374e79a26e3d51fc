export {
  type ErrorResponse,
  type ErrorResponseBody,
  errorResponseBody,
  type FieldProblem,
  toErrorResponse,
} from "./error-response.ts";
export { type ServiceError, ServiceErrorCode, ServiceErrors } from "./errors.ts";
export {
  CURSOR_INVALID,
  cursorText,
  cursorTimestamp,
  decodePageCursor,
  definePageCursor,
  encodePageCursor,
  type Page,
  type PageCursor,
  pageOf,
  textKeyPageCursor,
} from "./page-cursor.ts";
export {
  type PagePolicyOptions,
  pagePolicyOptions,
  registerPagePolicy,
} from "./page-policy.ts";
export { queueReadiness } from "./readiness.ts";
export { pageBody, pageQueryShape, urlSafeId } from "./request-schemas.ts";
export {
  type ListenableApp,
  type ProcessStartup,
  type ProcessTelemetry,
  type RunningService,
  type RunServiceOptions,
  runService,
  type StartedService,
} from "./run-service.ts";
export {
  createServiceApp,
  DEFAULT_BODY_LIMIT,
  type Readiness,
  type ResolvedServiceAppOptions,
  resolveServiceAppOptions,
  type ServiceApp,
  type ServiceAppOptions,
} from "./service-app.ts";
export {
  bearerMatches,
  DEV_WRITE_TOKEN,
  type ServiceAuth,
  serviceAuthConfigShape,
  serviceAuthFromConfig,
} from "./service-auth.ts";
export { dbSchemaName, listenConfigShape } from "./service-config.ts";
export {
  listenWhileStarting,
  type StartupServer,
  type StartupServerOptions,
  startingStatus,
} from "./startup-server.ts";
export {
  findUnstorable,
  MAX_JSON_DEPTH,
  storableJson,
  storableString,
  storableText,
  type UnstorableProblem,
  unstorableReason,
} from "./storable.ts";
