import type { Logger } from "@sagaworks/platform";

export interface PollLoopOptions {
  /** What the log says failed, e.g. "timer poll". */
  name: string;
  intervalMs: number;
  /** A poll that handled this many rows polls again at once: more are likely waiting. */
  batchSize: number;
  logger: Logger;
  /** One poll; returns how many rows it handled. */
  poll: () => Promise<number>;
}

/**
 * The background loop of a poller: polls again at once while polls come back full, else after
 * the interval; a failed poll is logged and retried. `stop()` wakes a sleeping loop and waits
 * for the poll under way, so nothing is left running after it.
 */
export class PollLoop {
  private active = false;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  private readonly options: PollLoopOptions;

  constructor(options: PollLoopOptions) {
    this.options = options;
  }

  /** False once `stop()` was called: a poll over many rows checks it between rows. */
  get running(): boolean {
    return this.active;
  }

  start(): void {
    this.active = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.active = false;
    clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.active) {
      let handled = 0;
      try {
        handled = await this.options.poll();
      } catch (error) {
        this.options.logger.error({ err: error }, `${this.options.name} failed; retrying`);
      }
      if (handled >= this.options.batchSize || !this.active) continue;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.options.intervalMs);
      });
    }
  }
}
