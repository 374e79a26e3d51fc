// The pacing of a replay, apart from SQS so it can be tested with a fake clock: how many DLQ
// messages the next batch takes (the ramp) and how long to wait before the next send (the rate
// cap). It reads only the clock it is given (the replay's `now`) and never sleeps: the replay does.

/** Settings of a {@link ReplayPacer}; the replay passes its options. */
export interface PacerSettings {
  /** At most this many sends per second. */
  ratePerSecond: number;
  /** First batch size, and the size the ramp falls back to. */
  rampStart: number;
  /** The ramp never grows a batch beyond this. */
  maxBatch: number;
}

/** Ramp and rate cap of one replay run. */
export class ReplayPacer {
  private readonly settings: PacerSettings;
  private readonly now: () => number;
  private size: number;
  /** Clock time before which the next send must wait; 0: it may go now. */
  private nextSendAt = 0;

  constructor(settings: PacerSettings, now: () => number = Date.now) {
    if (!(settings.ratePerSecond > 0)) throw new RangeError("ratePerSecond must be above 0");
    this.settings = settings;
    this.now = now;
    this.size = this.floor();
  }

  private floor(): number {
    return Math.max(1, this.settings.rampStart);
  }

  /** How many messages the next batch may take. */
  get batchSize(): number {
    return this.size;
  }

  /** Milliseconds to wait before the next send; 0 when it may go now. */
  delayBeforeSend(): number {
    return Math.max(0, this.nextSendAt - this.now());
  }

  /** Records a send made now: the next one waits a full interval from here. */
  sent(): void {
    this.nextSendAt = this.now() + 1000 / this.settings.ratePerSecond;
  }

  /**
   * After a batch was sent and watched: when every replayed saga moved on in time the batch
   * doubles (up to `maxBatch`); when any did not, or its message came back, it falls back to
   * `rampStart`.
   */
  settled(moved: number, sentInBatch: number): void {
    this.size =
      moved >= sentInBatch ? Math.min(this.settings.maxBatch, this.size * 2) : this.floor();
  }
}
