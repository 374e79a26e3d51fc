import { SagaworksError } from "@sagaworks/errors";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { z } from "zod";
import { ServiceErrorCode } from "./errors.ts";

/** The body of every error answer (the schema, for routes' OpenAPI responses). */
export const errorResponseBody = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});
/** The body of every error answer. */
export type ErrorResponseBody = z.infer<typeof errorResponseBody>;

/** One invalid field of a request: where it is (`body.email`) and what is wrong with it. */
export interface FieldProblem {
  path: string;
  message: string;
  code: string;
}

/** What the error handler sends, and whether the error is a bug worth logging as one. */
export interface ErrorResponse {
  status: number;
  body: ErrorResponseBody;
  /** True for 500s: nothing the client did explains them. */
  unexpected: boolean;
}

interface ValidationIssue {
  instancePath: string;
  message: string;
  keyword: string;
  params?: { keys?: unknown };
}

/**
 * Maps anything a route or Fastify throws to a status and body. Client mistakes (schema
 * violations, malformed JSON, wrong content type, oversized body) are 4xx; an error whose code
 * was declared with a status (see `defineErrors`) gets that status; only what the service cannot
 * explain is a 500, and its message hides internals.
 */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const location = (error as { validationContext?: string }).validationContext ?? "request";
    const problems = (error.validation as ValidationIssue[]).flatMap((issue) =>
      fieldProblems(location, issue),
    );
    return {
      status: 400,
      body: {
        code: ServiceErrorCode.requestInvalid,
        message: `The request is invalid; fix these fields and send it again: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
        details: problems,
      },
      unexpected: false,
    };
  }
  // A code declared without a status is not meant for clients: it falls through to the 500.
  if (error instanceof SagaworksError && error.status !== undefined) {
    return {
      status: error.status,
      body: {
        code: error.code,
        message: error.message,
        ...(isEmpty(error.details) ? {} : { details: error.details }),
      },
      unexpected: error.status >= 500,
    };
  }
  const clientError = asClientError(error) ?? asDatabaseInputError(error);
  if (clientError) return clientError;
  return {
    status: 500,
    body: {
      code: ServiceErrorCode.internal,
      message: "Something went wrong inside the service; it is logged. Retry later.",
    },
    unexpected: true,
  };
}

// An empty `details` tells the client nothing; the body leaves it out.
function isEmpty(details: unknown): boolean {
  return (
    typeof details === "object" &&
    details !== null &&
    !Array.isArray(details) &&
    Object.keys(details).length === 0
  );
}

function fieldProblems(location: string, issue: ValidationIssue): FieldProblem[] {
  const field = issue.instancePath.replace(/^\//, "").replaceAll("/", ".");
  const base = field ? `${location}.${field}` : location;
  // A strict object reports unknown keys once, on the object; naming each key is what the
  // client needs to find its typo.
  const keys = issue.params?.keys;
  if (issue.keyword === "unrecognized_keys" && Array.isArray(keys) && keys.length > 0) {
    return keys.map((key) => ({
      path: `${base}.${String(key)}`,
      message: "is not a known field; remove it",
      code: issue.keyword,
    }));
  }
  return [{ path: base, message: issue.message, code: issue.keyword }];
}

// Fastify's own request errors (body parsing, content type, limits) carry a 4xx statusCode.
function asClientError(error: unknown): ErrorResponse | undefined {
  const candidate = error as { statusCode?: unknown; code?: unknown; message?: unknown };
  const status = typeof candidate?.statusCode === "number" ? candidate.statusCode : 0;
  if (status < 400 || status > 499) return undefined;
  const reason = typeof candidate.message === "string" ? candidate.message : "";
  const details = {
    reason,
    ...(typeof candidate.code === "string" ? { cause: candidate.code } : {}),
  };
  const answer = (code: string, message: string): ErrorResponse => ({
    status,
    body: { code, message, details },
    unexpected: false,
  });
  if (status === 413) {
    return answer(ServiceErrorCode.bodyTooLarge, "The request body is too large; send less.");
  }
  if (status === 415) {
    return answer(
      ServiceErrorCode.mediaTypeUnsupported,
      "The content type is not supported; send JSON with content-type: application/json.",
    );
  }
  if (candidate.code === "FST_ERR_BAD_URL") {
    return answer(
      ServiceErrorCode.requestMalformed,
      "The URL is not valid percent-encoding (e.g. a lone % or an encoded invalid UTF-8 sequence); encode it with encodeURIComponent.",
    );
  }
  if (candidate.code === "FST_ERR_MAX_PARAM_LENGTH") {
    return answer(
      ServiceErrorCode.requestMalformed,
      "A path parameter is too long; ids are at most a few hundred characters.",
    );
  }
  if (status === 404) {
    return answer(ServiceErrorCode.routeNotFound, "No such route; see /docs for the API.");
  }
  return answer(
    ServiceErrorCode.requestMalformed,
    `The request could not be read (${reason || "malformed"}); send a valid JSON document.`,
  );
}

/**
 * Postgres SQLSTATE class 22 ("data exception": 22021 bad UTF-8 or NUL, 22P05 untranslatable
 * character, 22P02 invalid text representation, 22007/22008 bad or out-of-range date, 22009 bad
 * time zone, 22003 number out of range, …) means a value from the request could not be stored or
 * compared: the client's input, not the service's fault. Validation should stop it earlier; this
 * keeps anything it misses a 400.
 */
function asDatabaseInputError(error: unknown): ErrorResponse | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== "string" || !/^22[0-9A-Z]{3}$/.test(code)) return undefined;
  return {
    status: 400,
    body: {
      code: ServiceErrorCode.requestUnstorable,
      message:
        "A value in the request cannot be stored or compared (bad characters, or a date or number out of range); check the fields and send it again.",
      details: { sqlState: code },
    },
    unexpected: false,
  };
}
