import { timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { ServiceErrorCode, ServiceErrors } from "./errors.ts";

/**
 * The bearer tokens a service checks. Writes (every method but GET and HEAD) need `writeToken`;
 * reads need `readToken` or `writeToken` when a read token is set, and are open when it is not.
 * `/health`, `/ready` and `/docs` stay open.
 */
export interface ServiceAuth {
  /** Token of writes and admin actions (at least 16 characters). */
  writeToken: string;
  /** Token of reads; unset leaves reads open (the orchestrator's HTTP steps read customers). */
  readToken?: string | undefined;
}

/** Paths that answer without a credential: probes and the API's own documentation. */
const OPEN_PATHS = /^\/(health|ready|docs|metrics)(\/|$|\?)/;

const token = z.string().min(16, "must be at least 16 characters");

/**
 * Environment fields of a service's tokens; spread into its config schema and pass the result to
 * {@link serviceAuthFromConfig}. `SERVICE_WRITE_TOKEN` has a fixed development default only where
 * the process runs on the embedded default; elsewhere it is required.
 */
export const serviceAuthConfigShape = {
  /** Bearer token for writes; required outside the embedded development default. */
  SERVICE_WRITE_TOKEN: token.optional(),
  /** Bearer token for reads; unset leaves reads open. */
  SERVICE_READ_TOKEN: token.optional(),
};

/** The write token a development process uses when none is configured. Never deploy it. */
export const DEV_WRITE_TOKEN = "sagaworks-dev-write-token";

/**
 * Resolves the tokens from the config: the configured ones, else {@link DEV_WRITE_TOKEN} when
 * `development` (the embedded default) is true; throws naming the variable otherwise.
 */
export function serviceAuthFromConfig(
  config: { SERVICE_WRITE_TOKEN?: string | undefined; SERVICE_READ_TOKEN?: string | undefined },
  development: boolean,
): ServiceAuth {
  const writeToken = config.SERVICE_WRITE_TOKEN ?? (development ? DEV_WRITE_TOKEN : undefined);
  if (!writeToken) {
    throw ServiceErrors.create(
      ServiceErrorCode.writeTokenMissing,
      "SERVICE_WRITE_TOKEN is required outside the embedded development setup: set it to a secret of at least 16 characters shared with the service's clients.",
    );
  }
  return { writeToken, readToken: config.SERVICE_READ_TOKEN };
}

/** Constant-time comparison of an Authorization header with `Bearer <token>`. */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const given = Buffer.from(header ?? "");
  const wanted = Buffer.from(`Bearer ${expected}`);
  // Comparing lengths first leaks only the length, which the token's minimum already bounds.
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** What a request needs: nothing, the read token (or the write one), or the write token. */
export function requiredAccess(
  method: string,
  url: string,
  auth: ServiceAuth,
): "open" | "read" | "write" {
  if (OPEN_PATHS.test(url)) return "open";
  if (method === "GET" || method === "HEAD") return auth.readToken ? "read" : "open";
  return "write";
}

/** Whether the Authorization header grants `access`; both tokens are always compared. */
export function grants(
  header: string | undefined,
  access: "read" | "write",
  auth: ServiceAuth,
): boolean {
  const write = bearerMatches(header, auth.writeToken);
  const read = auth.readToken !== undefined && bearerMatches(header, auth.readToken);
  return access === "write" ? write : write || read;
}
