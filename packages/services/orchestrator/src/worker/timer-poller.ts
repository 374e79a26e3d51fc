import { type Database, type Logger, withSagaContext } from "@sagaworks/platform";
import type { SagaRuntime } from "../saga-runtime.ts";
import { dueTimers } from "../store/timers.ts";

/** Options of {@link TimerPoller}. */
export interface TimerPollerOptions {
  db: Database;
  runtime: SagaRuntime;
  logger: Logger;
  /** Defaults to the wall clock. */
  clock?: (() => Date) | undefined;
  /** How often due timers are looked for; defaults to 500 ms. */
  pollIntervalMs?: number | undefined;
  /** Timers fired per poll; defaults to 100. */
  batchSize?: number | undefined;
}

/** {@link TimerPollerOptions} with every default applied. */
type ResolvedTimerPollerOptions = Required<{
  [Key in keyof TimerPollerOptions]: NonNullable<TimerPollerOptions[Key]>;
}>;

/**
 * Fires due timers (step timeouts, retry delays, saga deadlines) from Postgres, not from SQS
 * delays, which stop at 15 minutes. Several replicas may see the same timer; the runtime applies
 * it only while the row still exists, under the instance's lock, so it fires once.
 */
export class TimerPoller {
  private readonly options: ResolvedTimerPollerOptions;
  private running = false;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  /** Timers fired (applied or found stale), for tests and measurements. */
  fired = 0;

  constructor(options: TimerPollerOptions) {
    this.options = {
      ...options,
      clock: options.clock ?? (() => new Date()),
      pollIntervalMs: options.pollIntervalMs ?? 500,
      batchSize: options.batchSize ?? 100,
    };
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let due = 0;
      try {
        due = await this.fireDue();
      } catch (error) {
        this.options.logger.error({ err: error }, "timer poll failed; retrying");
      }
      if (due >= this.options.batchSize || !this.running) continue;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.options.pollIntervalMs);
      });
    }
  }

  /** Fires the timers due now; returns how many it looked at. */
  async fireDue(): Promise<number> {
    const now = this.options.clock();
    const rows = await dueTimers(this.options.db.knex, now, this.options.batchSize);
    for (const row of rows) {
      if (!this.running) break;
      const outcome = await withSagaContext({ sagaId: row.sagaId }, () =>
        this.options.runtime.apply(row.sagaId, row.event, { timerId: row.id }),
      );
      if (outcome.kind !== "timer-gone") {
        const lateness = this.options.clock().getTime() - row.fireAt.getTime();
        this.options.runtime.metrics.timerFired(row.event.type, lateness);
      }
      this.fired++;
    }
    return rows.length;
  }
}
