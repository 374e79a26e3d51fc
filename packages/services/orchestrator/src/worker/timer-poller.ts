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
  /**
   * Whether the replies that were waiting when this poller started have been read, given the
   * ms since (see {@link TimerPoller}); undefined: step timeouts are never held.
   */
  repliesCaughtUp?: ((sinceStartMs: number) => Promise<boolean>) | undefined;
  /** The longest step timeouts are held after start for `repliesCaughtUp` (`holdStepTimeoutsMaxMs`). */
  holdStepTimeoutsMaxMs: number;
}

/**
 * Fires due timers (step timeouts, retry delays, saga deadlines) from Postgres, not from SQS
 * delays, which stop at 15 minutes. Several replicas may see the same timer; the runtime applies
 * it only while the row still exists, under the instance's lock, so it fires once.
 *
 * After every orchestrator was down, the first one back finds step timeouts that came due
 * meanwhile while their replies may sit in the reply queue. A timeout applied first wins (the
 * reply to that attempt is then ignored), costing a retry and its back-off. So a poller with
 * `repliesCaughtUp` holds step timeouts after it starts until the reply queue has been read, or
 * `holdStepTimeoutsMaxMs` passed; retry delays and deadlines fire as usual meanwhile. Holding
 * only makes a timeout later than its time, which a timer may always be.
 */
export class TimerPoller {
  private readonly options: TimerPollerOptions;
  private readonly loop: PollLoop;
  /** Timers fired (applied or found stale), for tests and measurements. */
  fired = 0;
  /** The step timeouts this poller held back (each counted once), for tests and measurements. */
  private readonly heldIds = new Set<string>();
  /** Until replies caught up: when this poller started (ms), undefined once holding ended. */
  private holdingSince: number | undefined;

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

  /** How many distinct step timeouts were held back since start. */
  get held(): number {
    return this.heldIds.size;
  }

  start(): void {
    if (this.options.repliesCaughtUp) this.holdingSince = this.options.clock().getTime();
    this.loop.start();
  }

  /** Whether step timeouts are held now; asks `repliesCaughtUp` at most once per poll. */
  private async holdingStepTimeouts(): Promise<boolean> {
    if (this.holdingSince === undefined || !this.options.repliesCaughtUp) return false;
    const heldMs = this.options.clock().getTime() - this.holdingSince;
    let reason: string | undefined;
    if (heldMs >= this.options.holdStepTimeoutsMaxMs) reason = "the hold's limit passed";
    else if (await this.options.repliesCaughtUp(heldMs)) reason = "the reply queue was read";
    if (reason === undefined) return true;
    this.holdingSince = undefined;
    if (this.heldIds.size > 0) {
      this.options.logger.info(
        { heldMs, stepTimeouts: this.heldIds.size },
        `step timeouts fire again: ${reason}`,
      );
    }
    return false;
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /**
   * Fires the timers due now; returns how many it looked at, less the step timeouts it held (a
   * batch of held ones must not make the loop poll again at once).
   */
  async fireDue(): Promise<number> {
    const now = this.options.clock();
    const rows = await dueTimers(this.options.db.knex, now, this.options.batchSize);
    const hold =
      rows.some((row) => row.event.type === "step-timeout") && (await this.holdingStepTimeouts());
    let held = 0;
    for (const row of rows) {
      if (!this.loop.running) break;
      if (hold && row.event.type === "step-timeout") {
        held++;
        this.heldIds.add(row.id);
        continue;
      }
      const outcome = await withSagaContext({ sagaId: row.sagaId }, () =>
        this.options.runtime.apply(row.sagaId, row.event, { timerId: row.id }),
      );
      if (outcome.kind !== "timer-gone") {
        const lateness = this.options.clock().getTime() - row.fireAt.getTime();
        this.options.runtime.metrics.timerFired(row.event.type, lateness);
      }
      this.fired++;
    }
    return rows.length - held;
  }
}
