import { type Logger, pino } from "pino";

export type { Logger };

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Name of the process or component, written on every line. */
  name: string;
  /** pino level; defaults to `info`. */
  level?: string;
}

/** A JSON logger (pino) writing to stdout. */
export function createLogger(options: LoggerOptions): Logger {
  return pino({ name: options.name, level: options.level ?? "info" });
}

/** A logger that drops everything: for tests and benchmarks that assert on results, not logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
