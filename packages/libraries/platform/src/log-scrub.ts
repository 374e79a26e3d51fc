// Secrets kept out of log lines wherever they hide: not only under the field names pino's
// `redact` paths list, but inside error messages and stacks (a driver that quotes the connection
// string it failed on), in an error's own properties (Node's ERR_INVALID_URL keeps the whole URL
// as `input`), in `cause` chains, and in objects nested deeper than a redact path reaches.
import { stdSerializers } from "pino";

const CENSOR = "[redacted]";

/**
 * Field names whose values never reach a log line, at any depth, compared in lower case with
 * `-` and `_` removed: `DATABASE_URL`, `databaseUrl` and `database-url` are one name.
 */
const SECRET_KEYS = new Set(
  [
    "password",
    "apiToken",
    "token",
    "secret",
    "hmacKey",
    "hmacKeys",
    "databaseUrl",
    "connection",
    "connectionString",
    "authorization",
    "cookie",
    "x-sagaworks-signature",
    "orchestratorApiToken",
    "signingKey",
    "sagaworksHmacKeys",
  ].map(normalizeKey),
);

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, "");
}

/** Field names seen so far and whether each is a secret's: logs reuse a few hundred names. */
const secretKeyCache = new Map<string, boolean>();

function isSecretKey(key: string): boolean {
  let secret = secretKeyCache.get(key);
  if (secret === undefined) {
    secret = SECRET_KEYS.has(normalizeKey(key));
    if (secretKeyCache.size < 10_000) secretKeyCache.set(key, secret);
  }
  return secret;
}

/** `scheme://user:password@` → `scheme://user:[redacted]@` (Postgres, AMQP, HTTP basic…). */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@'"]*):[^\s/?#@'"]*@/gi;
/** `Bearer <token>` or `Basic <credentials>`, as in a header quoted in a message. */
const AUTH_CREDENTIALS = /\b(bearer|basic)(\s+)[a-z0-9._~+/=-]+/gi;
/** `password=…` in a libpq key/value connection string or a query string. */
const PASSWORD_PARAMETER = /\b(password|passwd|pwd)=[^\s&;'"]+/gi;

/** What every pattern above needs somewhere in the text: most strings have none and stay as they are. */
const MAY_HOLD_SECRET = /:\/\/|bearer|basic|pass|pwd/i;

/** The text with connection-string passwords, bearer/basic credentials and `password=` values censored. */
export function scrubText(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  return text
    .replace(URL_CREDENTIALS, `$1:${CENSOR}@`)
    .replace(AUTH_CREDENTIALS, `$1$2${CENSOR}`)
    .replace(PASSWORD_PARAMETER, `$1=${CENSOR}`);
}

/** Deeper than this, a value is written as a marker: a log line is not a heap dump. */
const MAX_DEPTH = 12;

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `value` safe to log: strings scrubbed, secret-named fields censored, errors turned
 * into pino's `{ type, message, stack, … }` shape (with `cause`) and scrubbed the same way. Only
 * plain objects, arrays and errors are walked: other class instances (a Fastify request, a Date)
 * are left to their own serializers, except URL objects, written as their scrubbed `href`.
 */
export function scrubValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return scrubText(value);
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof URL) return scrubText(value.href);
  const walk = value instanceof Error || Array.isArray(value) || isPlain(value);
  if (!walk) return value;
  if (seen.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[too deep]";
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1, seen));
    const source: Record<string, unknown> =
      value instanceof Error ? stdSerializers.err(value) : (value as Record<string, unknown>);
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(source)) {
      copy[key] = isSecretKey(key) ? CENSOR : scrubValue(item, depth + 1, seen);
    }
    // pino folds the causes' messages into the message but drops the cause itself, and with it
    // the code and properties that say what failed (ECONNREFUSED, ETIMEDOUT): keep it, scrubbed.
    if (value instanceof Error && value.cause !== undefined && !("cause" in copy)) {
      copy.cause = scrubValue(value.cause, depth + 1, seen);
    }
    return copy;
  } finally {
    seen.delete(value);
  }
}

/** pino's `err` serializer, scrubbed: message, stack, own properties and causes. */
export function scrubbedErrSerializer(error: unknown): unknown {
  return scrubValue(error);
}
