/**
 * Wakes a polling loop early. Created before the loop and the code that signals it, so neither
 * needs the other. A signal sent while nobody waits is kept for the next wait: a commit that
 * lands while the loop is busy is not missed until the next poll.
 */
export class WakeSignal {
  private pending = false;
  private waiter: (() => void) | undefined;

  /** Wakes the loop now, or at its next wait. */
  notify(): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter();
    } else {
      this.pending = true;
    }
  }

  /** Resolves on {@link notify} or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve();
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
