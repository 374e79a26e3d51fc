import type { Logger } from "pino";

/** Runs cleanup steps once, in reverse order of registration, when the process is asked to stop. */
export interface Shutdown {
  /** Registers a step; later steps run first (stop consumers before closing the pool). */
  onShutdown(name: string, step: () => Promise<void> | void): void;
  /** Runs every step once; later calls wait for the same run. */
  shutdown(reason: string): Promise<void>;
  /** Stops listening for signals (for tests). */
  dispose(): void;
}

/** Options for {@link createShutdown}. */
export interface ShutdownOptions {
  logger: Logger;
  /** Signals that start the shutdown; defaults to SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
  /** Per-step limit before it is abandoned and the next step runs; defaults to 10 s. */
  stepTimeoutMs?: number;
  /** Exit the process when a signal-triggered shutdown ends; defaults to true. */
  exitOnSignal?: boolean;
}

/**
 * Graceful shutdown. A signal stops intake first (steps registered last), lets in-flight work
 * finish within the step timeout, then releases connections. A second signal exits at once.
 */
export function createShutdown(options: ShutdownOptions): Shutdown {
  const steps: { name: string; step: () => Promise<void> | void }[] = [];
  const stepTimeoutMs = options.stepTimeoutMs ?? 10_000;
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  let running: Promise<void> | undefined;

  async function runSteps(reason: string): Promise<void> {
    options.logger.info({ reason }, "shutting down");
    for (const { name, step } of [...steps].reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), stepTimeoutMs);
      });
      try {
        const outcome = await Promise.race([Promise.resolve().then(step), timeout]);
        if (outcome === "timeout") {
          options.logger.warn({ step: name, stepTimeoutMs }, "shutdown step timed out");
        }
      } catch (error) {
        options.logger.error({ step: name, err: error }, "shutdown step failed");
      } finally {
        clearTimeout(timer);
      }
    }
    options.logger.info("shut down");
  }

  const shutdown = (reason: string): Promise<void> => {
    running ??= runSteps(reason);
    return running;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (running) {
      options.logger.warn({ signal }, "second signal during shutdown: exiting now");
      process.exit(1);
    }
    void shutdown(signal).then(() => {
      if (options.exitOnSignal ?? true) process.exit(0);
    });
  };
  for (const signal of signals) process.on(signal, onSignal);

  return {
    onShutdown(name, step) {
      steps.push({ name, step });
    },
    shutdown,
    dispose() {
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
}
