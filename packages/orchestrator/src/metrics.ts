/**
 * The orchestrator's counters: one object, created with the orchestrator and handed to every
 * part that counts (runtime, relay, HTTP invoker, outbox parking). Nobody else's counters are
 * bumped; `/metrics` reads this object.
 */
export class OrchestratorMetrics {
  /** Postgres transactions committed by the orchestrator (runtime, relay, invoker). */
  commits = 0;
  /** Events applied (changed an instance). */
  applied = 0;
  /** Events offered but ignored (late, duplicate, stale). */
  ignored = 0;
  /** Deliveries dropped by the inbox as already seen. */
  duplicates = 0;
  /** Replies naming a step their saga does not have. */
  junkReplies = 0;
  /** Outbox messages parked because they could not be sent. */
  outboxParked = 0;

  /** The counters as plain data, for `/metrics`. */
  toJSON(): Record<string, number> {
    return {
      commits: this.commits,
      applied: this.applied,
      ignored: this.ignored,
      duplicates: this.duplicates,
      junkReplies: this.junkReplies,
      outboxParked: this.outboxParked,
    };
  }
}
