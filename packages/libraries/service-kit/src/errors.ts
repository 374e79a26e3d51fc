import { defineErrors, type ErrorCodeOf, type ErrorOf } from "@sagaworks/errors";

/**
 * The errors every service's HTTP layer answers with, and their status. The error handler builds
 * most of them itself (from Fastify's and zod's errors); routes and guards throw the others.
 */
export const ServiceErrors = defineErrors("@sagaworks/service-kit", {
  requestInvalid: { code: "REQUEST_INVALID", status: 400 },
  requestMalformed: { code: "REQUEST_MALFORMED", status: 400 },
  /** A value the database cannot store or compare (NUL, bad date, number out of range). */
  requestUnstorable: { code: "REQUEST_UNSTORABLE", status: 400 },
  /** No credential, or not the right one, for the route. */
  unauthorized: { code: "UNAUTHORIZED", status: 401 },
  mediaTypeUnsupported: { code: "MEDIA_TYPE_UNSUPPORTED", status: 415 },
  bodyTooLarge: { code: "BODY_TOO_LARGE", status: 413 },
  routeNotFound: { code: "ROUTE_NOT_FOUND", status: 404 },
  /** A list cursor this service did not return. */
  cursorInvalid: {
    code: "CURSOR_INVALID",
    status: 400,
    message:
      "The cursor is not one this service returned; send the nextCursor of the previous page, or no cursor to start again.",
  },
  internal: { code: "INTERNAL", status: 500 },
  /** The process is live but still waiting for its database or broker at start-up. */
  serviceStarting: { code: "SERVICE_STARTING", status: 503 },
  /** A deployed service without SERVICE_WRITE_TOKEN: it refuses to start (never reaches HTTP). */
  writeTokenMissing: { code: "SERVICE_WRITE_TOKEN_MISSING" },
});
/** Stable codes of the errors every service's HTTP layer answers with. */
export const ServiceErrorCode = ServiceErrors.codes;
export type ServiceErrorCode = ErrorCodeOf<typeof ServiceErrors>;
/** A service-kit error (narrow with `ServiceErrors.is`). */
export type ServiceError = ErrorOf<typeof ServiceErrors>;
