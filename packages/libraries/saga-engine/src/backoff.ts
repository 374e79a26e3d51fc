import type { CompiledRetryPolicy } from "@sagaworks/saga-definition";

/**
 * Delay before the next attempt after `failedAttempts` failures (1 for the first retry):
 * initialDelay × backoffRate^(failedAttempts − 1), capped at maxDelay; with full jitter, a uniform
 * draw in [0, that]. Jitter spreads the retries of many sagas that failed together.
 */
export function backoffDelayMs(
  policy: CompiledRetryPolicy,
  failedAttempts: number,
  random: () => number,
): number {
  const exponent = Math.max(0, failedAttempts - 1);
  const capped = Math.min(
    policy.maxDelayMs,
    policy.initialDelayMs * policy.backoffRate ** exponent,
  );
  return policy.jitter === "full" ? Math.floor(random() * capped) : Math.round(capped);
}
