/** Options for {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this long; defaults to 10 s. */
  timeoutMs?: number;
  /** Check this often; defaults to 25 ms. */
  intervalMs?: number;
  /** Said in the error when time runs out. */
  description?: string;
}

/**
 * Polls `check` until it returns a value other than undefined or false, and returns it. Tests
 * wait on conditions with a deadline, never on fixed sleeps.
 */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${options.timeoutMs ?? 10_000} ms waiting for ${options.description ?? "a condition"}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}
