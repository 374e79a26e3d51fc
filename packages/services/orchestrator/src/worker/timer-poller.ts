import { type Database, type Logger, withSagaContext } from "@sagaworks/platform";
import type { SagaRuntime } from "../saga-runtime.ts";
import { dueTimers } from "../store/timers.ts";
import { PollLoop } from "./poll-loop.ts";

/** Options of {@link TimerPoller}, complete: the orchestrator resolves the defaults. */
export interface TimerPollerOptions {
  db: Database;
  runtime: SagaRuntime;
  logger: Logger;
  clock: () => Date;
  /** How often due timers are looked for (`timerPollIntervalMs`). */
  pollIntervalMs: number;
  /** Timers fired per poll (`timerBatchSize`). */
  batchSize: number;
}

/**
 * Fires due timers (step timeouts, retry delays, saga deadlines) from Postgres, not from SQS
 * delays, which stop at 15 minutes. Several replicas may see the same timer; the runtime applies
 * it only while the row still exists, under the instance's lock, so it fires once.
 */
export class TimerPoller {
  private readonly options: TimerPollerOptions;
  private readonly loop: PollLoop;
  /** Timers fired (applied or found stale), for tests and measurements. */
  fired = 0;

  constructor(options: TimerPollerOptions) {
    this.options = options;
    this.loop = new PollLoop({
      name: "timer poll",
      intervalMs: this.options.pollIntervalMs,
      batchSize: this.options.batchSize,
      logger: this.options.logger,
      poll: () => this.fireDue(),
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Fires the timers due now; returns how many it looked at. */
  async fireDue(): Promise<number> {
    const now = this.options.clock();
    const rows = await dueTimers(this.options.db.knex, now, this.options.batchSize);
    for (const row of rows) {
      if (!this.loop.running) break;
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
