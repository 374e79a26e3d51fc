import { createRequire } from "node:module";
import { type DestinationStream, type Logger, pino } from "pino";
import { scrubbedErrSerializer, scrubText, scrubValue } from "./log-scrub.ts";
import { currentSagaContext } from "./telemetry/log-context.ts";
import { activeTraceId } from "./telemetry/tracing.ts";

export type { Logger };

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Name of the process or component, written on every line. */
  name: string;
  /** pino level; defaults to `info`. */
  level?: string;
  /** Where lines go; defaults to stdout (pretty-printed in dev when stdout is a terminal). */
  destination?: DestinationStream;
  /** Pretty lines instead of JSON; defaults to true when stdout is a TTY and SAGAWORKS_ENV is not production. */
  pretty?: boolean;
}

/**
 * Fields whose values never reach a log line, at any of these places: the API token, database
 * URLs and passwords, HMAC keys and signing secrets, authorization headers and cookies. Keep
 * secrets under these names (a config object logged whole is covered too).
 */
export const REDACTED_PATHS = [
  "password",
  "*.password",
  "apiToken",
  "*.apiToken",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "hmacKey",
  "*.hmacKey",
  "hmacKeys",
  "*.hmacKeys",
  "databaseUrl",
  "*.databaseUrl",
  "connection",
  "*.connection",
  "connectionString",
  "*.connectionString",
  "authorization",
  "*.authorization",
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['x-sagaworks-signature']",
  "headers.authorization",
  "DATABASE_URL",
  "*.DATABASE_URL",
  "ORCHESTRATOR_API_TOKEN",
  "*.ORCHESTRATOR_API_TOKEN",
  "signingKey",
  "*.signingKey",
  "HMAC_KEY",
  "*.HMAC_KEY",
  "SAGAWORKS_HMAC_KEYS",
  "*.SAGAWORKS_HMAC_KEYS",
];

/**
 * The saga being handled on this call path (see `withSagaContext`) and the active span's trace
 * id, added to every line: `sagaId`, `saga`, `step`, `attempt`, `traceId`. Only fields that are
 * set are added, so lines outside a saga stay as they were.
 */
function sagaFields(): Record<string, unknown> {
  const saga = currentSagaContext();
  const traceId = activeTraceId() ?? saga?.traceId;
  if (!saga) return traceId ? { traceId } : {};
  const fields: Record<string, unknown> = { sagaId: saga.sagaId };
  if (saga.saga !== undefined) fields.saga = saga.saga;
  if (saga.step !== undefined) fields.step = saga.step;
  if (saga.attempt !== undefined) fields.attempt = saga.attempt;
  if (traceId) fields.traceId = traceId;
  return fields;
}

/** A JSON logger (pino) writing to stdout, with saga fields on every line and secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    name: options.name,
    level: options.level ?? "info",
    mixin: sagaFields,
    // A field the call itself passes wins over the context's, and is written once.
    mixinMergeStrategy: (fields: object, mixin: object) => Object.assign(mixin, fields),
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    // `redact` only knows field names at two levels; secrets also ride inside error messages,
    // stacks and properties (a driver quoting its connection string, ERR_INVALID_URL's `input`),
    // `cause` chains, deeper objects and the message itself. Every line is scrubbed whole.
    formatters: {
      log: (fields: Record<string, unknown>) => scrubValue(fields) as Record<string, unknown>,
    },
    serializers: { err: scrubbedErrSerializer },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...args: unknown[]) => void) {
        method.apply(
          this,
          args.map((arg) => (typeof arg === "string" ? scrubText(arg) : arg)),
        );
      },
    },
  };
  if (options.destination) return pino(settings, options.destination);
  const pretty =
    options.pretty ?? (process.stdout.isTTY === true && process.env.SAGAWORKS_ENV !== "production");
  if (pretty) {
    return pino({
      ...settings,
      transport: {
        target: "pino-pretty",
        options: { colorize: true, translateTime: "SYS:HH:MM:ss.l" },
      },
    });
  }
  return pino(settings);
}

/**
 * Turns one JSON log line of another process into the readable line a terminal shows (the same
 * format as a pretty logger: time, level, message, fields); a line that is not a JSON log line
 * comes back as it was.
 */
export function createLogLineFormatter(
  options: { colorize?: boolean } = {},
): (line: string) => string {
  // Loaded here, not at the top: only development tools format lines, and a service start
  // should not pay for loading pino-pretty (a pretty logger's transport loads it in its worker).
  const { prettyFactory } = createRequire(import.meta.url)(
    "pino-pretty",
  ) as typeof import("pino-pretty");
  const pretty = prettyFactory({
    colorize: options.colorize ?? false,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,name",
    singleLine: true,
  });
  return (line) => {
    if (!line.startsWith("{")) return line;
    try {
      return pretty(JSON.parse(line)).trimEnd();
    } catch {
      return line;
    }
  };
}

/** A logger that drops everything: for tests and benchmarks that assert on results, not logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
