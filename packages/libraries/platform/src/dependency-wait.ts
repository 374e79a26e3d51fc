// Start-up against a dependency that may not answer yet. A process that exits because its database
// or broker is briefly down turns a short outage into a long one (an orchestrator's restart
// back-off grows to minutes), so what waiting can fix is waited out, and only what it cannot fix
// stops the process, with the error that names it.
import type { Logger } from "./logger.ts";

/** What a failure to reach a dependency means: wait it out, or stop and say why. */
export interface FailureVerdict {
  /** True when waiting can fix it (the dependency is down, starting, overloaded or throttling). */
  transient: boolean;
  /** A short cause without hosts or users (they stay in the log): `connection refused`. */
  reason: string;
}

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection reset",
  ETIMEDOUT: "timed out",
  ESOCKETTIMEDOUT: "timed out",
  ECONNABORTED: "connection aborted",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_CONNECT_TIMEOUT: "timed out",
  UND_ERR_SOCKET: "connection reset",
};

/** Postgres SQLSTATEs (and their classes) that a running or restarting server answers with. */
const POSTGRES_TRANSIENT: Readonly<Record<string, string>> = {
  "57P01": "database shutting down",
  "57P02": "database shutting down",
  "57P03": "database starting up",
  "53300": "database has too many connections",
  "40001": "serialization failure",
  "40P01": "deadlock",
};
const POSTGRES_PERMANENT: Readonly<Record<string, string>> = {
  "28P01": "database refused the credentials",
  "28000": "database refused the credentials",
  "3D000": "database does not exist",
  "42501": "database refused the permission",
};

/** Error names the AWS SDK gives when the broker throttles. */
const AWS_THROTTLING = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "SlowDown",
]);
const AWS_MISSING = new Set([
  "QueueDoesNotExist",
  "AWS.SimpleQueueService.NonExistentQueue",
  "NotFound",
  "NotFoundException",
]);
const AWS_CREDENTIALS = new Set([
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "AccessDenied",
  "AccessDeniedException",
  "AuthorizationError",
  "ExpiredToken",
  "ExpiredTokenException",
  "CredentialsProviderError",
]);

/** The verdict an error gives by itself, without looking at its causes; undefined: no opinion. */
function ownVerdict(error: unknown): FailureVerdict | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  const text = typeof message === "string" ? message : "";
  if (typeof name === "string") {
    if (AWS_MISSING.has(name)) return { transient: false, reason: "queue or topic does not exist" };
    if (AWS_CREDENTIALS.has(name))
      return { transient: false, reason: "broker refused the credentials" };
    if (AWS_THROTTLING.has(name)) return { transient: true, reason: "broker throttling" };
    if (name === "KnexTimeoutError" || name === "TimeoutError")
      return { transient: true, reason: "timed out" };
  }
  if (typeof code === "string") {
    const network = NETWORK_CODES[code];
    if (network) return { transient: true, reason: network };
    const permanent = POSTGRES_PERMANENT[code];
    if (permanent) return { transient: false, reason: permanent };
    const transient = POSTGRES_TRANSIENT[code];
    if (transient) return { transient: true, reason: transient };
    // Class 08: connection exceptions (the server went away or refused the session for now).
    if (/^08[0-9A-Z]{3}$/.test(code))
      return { transient: true, reason: "database connection failed" };
  }
  const status = metadata?.httpStatusCode;
  if (typeof status === "number") {
    if (status === 429) return { transient: true, reason: "broker throttling" };
    if (status >= 500) return { transient: true, reason: `broker answered ${status}` };
    if (status === 401 || status === 403)
      return { transient: false, reason: "broker refused the credentials" };
  }
  // pg's words when a connect outlives its connectionTimeoutMillis (a server that accepted the
  // socket and never answered): the failover or the overload may pass.
  if (/^timeout expired$|connection timeout/i.test(text))
    return { transient: true, reason: "timed out" };
  // pg's words when the server closes the socket, and when it is still starting.
  if (
    /Connection terminated|server closed the connection|the database system is (starting up|shutting down)/i.test(
      text,
    )
  )
    return { transient: true, reason: "database connection closed" };
  return undefined;
}

/**
 * Tells a transient failure to reach a dependency (connection refused or reset, timeouts, host not
 * found yet, broker 5xx or throttling, Postgres starting up, shutting down or out of connections)
 * from one that waiting cannot fix (a queue that does not exist, credentials refused, anything
 * unknown, such as a configuration or migration error). The error, then its `errors` (an
 * AggregateError: one per address tried) and its `cause`, are asked in turn; the first with an
 * opinion decides, so a wrapper that names a permanent problem wins over its cause.
 */
export function classifyDependencyError(error: unknown): FailureVerdict {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === undefined || current === null || seen.has(current)) continue;
    seen.add(current);
    const verdict = ownVerdict(current);
    if (verdict) return verdict;
    const { errors, cause } = current as { errors?: unknown; cause?: unknown };
    if (Array.isArray(errors)) queue.push(...errors);
    queue.push(cause);
  }
  const message = error instanceof Error ? error.message : String(error);
  return { transient: false, reason: message };
}

/** A dependency a running process cannot reach now, for `/ready`: which, why, since when. */
export interface LostDependency {
  /** The dependency's name: `database`, `broker`. */
  dependency: string;
  /** The last failure's short cause, e.g. `connection refused`. */
  reason: string;
  /** When it stopped answering. */
  since: Date;
}

/**
 * The short cause of a failure that `/ready` may show to anyone: the classifier's reason, or,
 * for an error it does not know (whose message may name hosts and users), a pointer to the log.
 */
export function publicReason(error: unknown, classify = classifyDependencyError): string {
  const verdict = classify(error);
  const message = error instanceof Error ? error.message : String(error);
  return !verdict.transient && verdict.reason === message
    ? "unexpected error (see the log)"
    : verdict.reason;
}

/** What a process is waiting for at start-up, for `/ready` and the logs. */
export interface DependencyWaiting extends LostDependency {
  /** Attempts so far. */
  attempts: number;
  /** When the first attempt failed. */
  since: Date;
}

/** Options of {@link DependencyWaiter}; every default is written beside it. */
export interface DependencyWaiterOptions {
  logger: Logger;
  /** The first wait after a failure; defaults to 500 ms. Doubles each attempt. */
  initialDelayMs?: number | undefined;
  /** The longest wait between attempts; defaults to 15 s. */
  maxDelayMs?: number | undefined;
  /** Tells waiting from stopping; defaults to {@link classifyDependencyError}. */
  classify?: ((error: unknown) => FailureVerdict) | undefined;
  /** Source of jitter in [0, 1); defaults to Math.random. */
  random?: (() => number) | undefined;
}

/** {@link DependencyWaiterOptions} with every default applied. */
export interface ResolvedDependencyWaiterOptions {
  logger: Logger;
  initialDelayMs: number;
  maxDelayMs: number;
  classify: (error: unknown) => FailureVerdict;
  random: () => number;
}

/** Applies the defaults once; an explicit `undefined` means the default too. */
export function resolveDependencyWaiterOptions(
  options: DependencyWaiterOptions,
): ResolvedDependencyWaiterOptions {
  return {
    logger: options.logger,
    initialDelayMs: options.initialDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 15_000,
    classify: options.classify ?? classifyDependencyError,
    random: options.random ?? Math.random,
  };
}

/** Runs one start-up step against a named dependency; see {@link DependencyWaiter.waitFor}. */
export type WaitForDependency = <T>(dependency: string, attempt: () => Promise<T>) => Promise<T>;

/** Runs the step once: for callers that start parts without a process around them (tests). */
export const attemptOnce: WaitForDependency = (_dependency, attempt) => attempt();

/**
 * Waits out a process's dependencies at start-up, one step at a time, and says what it waits for
 * (`waiting`, which `/ready` answers with). One per process; steps run one after another.
 */
export class DependencyWaiter {
  /** The dependency a step is waiting for now; undefined when none is. */
  waiting: DependencyWaiting | undefined;
  private readonly options: ResolvedDependencyWaiterOptions;
  private readonly aborted: AbortController = new AbortController();

  constructor(options: DependencyWaiterOptions) {
    this.options = resolveDependencyWaiterOptions(options);
  }

  /**
   * Runs `attempt` until it succeeds. A transient failure (see the classifier) is logged, one
   * line per attempt with the next delay, and retried after an exponential back-off with jitter
   * (half the delay is random, so replicas started together do not retry together); a permanent
   * one is thrown as it is. `stop()` ends a wait by throwing its last failure.
   */
  readonly waitFor: WaitForDependency = async (dependency, attempt) => {
    const { logger, classify, initialDelayMs, maxDelayMs, random } = this.options;
    for (let attempts = 1; ; attempts++) {
      try {
        const result = await attempt();
        if (this.waiting) {
          logger.info({ dependency, attempts }, `${dependency} answered: starting`);
          this.waiting = undefined;
        }
        return result;
      } catch (error) {
        const verdict = classify(error);
        if (!verdict.transient || this.aborted.signal.aborted) {
          this.waiting = undefined;
          throw error;
        }
        const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempts - 1, 30));
        const delayMs = Math.round(ceiling / 2 + (ceiling / 2) * random());
        this.waiting = {
          dependency,
          reason: verdict.reason,
          attempts,
          since: this.waiting?.dependency === dependency ? this.waiting.since : new Date(),
        };
        logger.warn(
          { dependency, attempt: attempts, reason: verdict.reason, retryInMs: delayMs, err: error },
          `${dependency} not available (${verdict.reason}): attempt ${attempts}, retrying in ${(delayMs / 1000).toFixed(1)} s`,
        );
        if (!(await this.sleep(delayMs))) throw error;
      }
    }
  };

  /** Ends any wait (the process is stopping): the waiting step throws its last failure. */
  stop(): void {
    this.aborted.abort();
  }

  /** Resolves true after `ms`, or false at once when stopped. */
  private sleep(ms: number): Promise<boolean> {
    const { signal } = this.aborted;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve(true);
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
