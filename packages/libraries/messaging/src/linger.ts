import { AwsLimits } from "./limits.ts";

/** Options of {@link AdaptiveLinger}. */
export interface AdaptiveLingerOptions {
  /** The longest a batch waits for more entries; defaults to 5 ms. 0 turns lingering off. */
  maxMs?: number;
  /** Entries that make a full batch, which never waits; defaults to 10 (an SQS/SNS batch). */
  fullBatch?: number;
  /** Weight of the newest gap in the moving average of gaps, 0 to 1; defaults to 0.2. */
  smoothing?: number;
}

/**
 * Decides how long a batch that is not full should wait for more entries, from how fast entries
 * have been arriving.
 *
 * Under load (entries arriving closer together than `maxMs`) a short wait turns many requests
 * with one entry each into few with up to ten: the wait is the time the recent pace needs to
 * fill the batch, capped at `maxMs`. When entries are sparse (one saga at a time) nothing would
 * join the batch in that time, so it leaves at once and adds no latency.
 *
 * Pure bookkeeping with the time passed in: the caller owns the timer.
 */
export class AdaptiveLinger {
  private readonly maxMs: number;
  private readonly fullBatch: number;
  private readonly smoothing: number;
  private lastArrival: number | undefined;
  /** Moving average of the gap between arrivals, in ms; starts as "sparse". */
  private averageGapMs: number;

  constructor(options: AdaptiveLingerOptions = {}) {
    this.maxMs = options.maxMs ?? 5;
    this.fullBatch = options.fullBatch ?? AwsLimits.maxBatchEntries;
    this.smoothing = options.smoothing ?? 0.2;
    this.averageGapMs = Number.POSITIVE_INFINITY;
  }

  /** Records that `count` entries arrived at `nowMs` (together, from one commit). */
  arrived(count: number, nowMs: number): void {
    if (count <= 0) return;
    if (this.lastArrival !== undefined) {
      // Entries of one arrival come together: the gap is shared among them.
      const gap = Math.max(0, nowMs - this.lastArrival) / count;
      // A long idle pause must not take many arrivals to forget: cap what one gap weighs.
      const bounded = Math.min(gap, this.maxMs * 4);
      this.averageGapMs = Number.isFinite(this.averageGapMs)
        ? this.averageGapMs + this.smoothing * (bounded - this.averageGapMs)
        : bounded;
    }
    this.lastArrival = nowMs;
  }

  /**
   * How long to wait before sending, given the entries waiting for the fullest destination
   * (0: send now).
   */
  delayMs(waiting: number): number {
    if (this.maxMs <= 0 || waiting >= this.fullBatch) return 0;
    // Sparse arrivals: the next entry is not expected within the cap, so waiting only adds
    // latency.
    if (!(this.averageGapMs < this.maxMs)) return 0;
    return Math.min(this.maxMs, (this.fullBatch - waiting) * this.averageGapMs);
  }
}
