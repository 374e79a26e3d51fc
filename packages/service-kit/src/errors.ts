/** Stable codes of the errors every service's HTTP layer answers with. */
export const ServiceErrorCode = {
  requestInvalid: "REQUEST_INVALID",
  requestMalformed: "REQUEST_MALFORMED",
  /** A value the database cannot store or compare (NUL, bad date, number out of range). */
  requestUnstorable: "REQUEST_UNSTORABLE",
  /** No credential, or not the right one, for the route. */
  unauthorized: "UNAUTHORIZED",
  mediaTypeUnsupported: "MEDIA_TYPE_UNSUPPORTED",
  bodyTooLarge: "BODY_TOO_LARGE",
  routeNotFound: "ROUTE_NOT_FOUND",
  internal: "INTERNAL",
} as const;
export type ServiceErrorCode = (typeof ServiceErrorCode)[keyof typeof ServiceErrorCode];

/**
 * An error a route throws on purpose: the error handler answers with `status` and the body
 * `{ code, message, details }`. `code` is stable (clients branch on it); `message` says what to do.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(
    status: number,
    code: string,
    message: string,
    details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}
