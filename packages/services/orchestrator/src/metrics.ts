import {
  type Counter,
  counter,
  DURATION_BUCKETS,
  type Histogram,
  histogram,
  type MetricsRegistry,
} from "@sagaworks/platform";
import {
  activeWork,
  type SagaEvent,
  type SagaSnapshot,
  TERMINAL_STATUSES,
  type TransitionResult,
} from "@sagaworks/saga-engine";

/** How a reply ended at the orchestrator: the label of `sagaworks_replies_total`. */
export type ReplyOutcome = "applied" | "duplicate" | "late" | "ignored";

/**
 * The orchestrator's metrics: one object, created with the orchestrator and handed to every
 * part that counts (runtime, relay, HTTP invoker, timers, outbox parking). The plain counters
 * are this replica's totals (`/metrics.json`, cost measurements); the Prometheus instruments live
 * on the process's registry (`/metrics`). Labels are bounded: saga name and version, step,
 * outcome; never a saga id.
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
  /** Writes that found their saga changed since it was read (read and applied again). */
  writeConflicts = 0;

  /** The registry the instruments are on. */
  readonly registry: MetricsRegistry | undefined;
  private readonly prom:
    | {
        started: Counter<"saga" | "version">;
        finished: Counter<"saga" | "version" | "outcome">;
        stepDuration: Histogram<"saga" | "step" | "kind" | "outcome">;
        retries: Counter<"saga" | "step" | "kind">;
        replies: Counter<"outcome">;
        timersFired: Counter<"event">;
        timerLateness: Histogram<"event">;
        relayBatch: Histogram;
        parked: Counter;
        transitions: Counter<"saga" | "event" | "applied">;
      }
    | undefined;

  /** Without a registry only the plain counters count (unit tests, tools). */
  constructor(registry?: MetricsRegistry) {
    this.registry = registry;
    if (!registry) return;
    this.prom = {
      started: counter(registry, {
        name: "sagaworks_sagas_started_total",
        help: "Sagas started, by definition name and version.",
        labelNames: ["saga", "version"],
      }),
      finished: counter(registry, {
        name: "sagaworks_sagas_finished_total",
        help: "Sagas that reached a terminal status, by name, version and outcome (completed, compensated, failed, resolved).",
        labelNames: ["saga", "version", "outcome"],
      }),
      stepDuration: histogram(registry, {
        name: "sagaworks_step_duration_seconds",
        help: "Time from sending a step's attempt to the event that ended the wait (reply, HTTP answer, timeout), by saga, step, action or compensation, and the step's status after it.",
        labelNames: ["saga", "step", "kind", "outcome"],
        buckets: DURATION_BUCKETS,
      }),
      retries: counter(registry, {
        name: "sagaworks_step_retries_total",
        help: "Step attempts after the first (retries), by saga, step, action or compensation.",
        labelNames: ["saga", "step", "kind"],
      }),
      replies: counter(registry, {
        name: "sagaworks_replies_total",
        help: "Replies received, by outcome: applied, duplicate (inbox), late (for a step or attempt no longer awaited), ignored (other).",
        labelNames: ["outcome"],
      }),
      timersFired: counter(registry, {
        name: "sagaworks_timers_fired_total",
        help: "Timers fired by this replica, by event (step-timeout, retry-timer, saga-deadline).",
        labelNames: ["event"],
      }),
      timerLateness: histogram(registry, {
        name: "sagaworks_timer_lateness_seconds",
        help: "How long after its due time a timer fired.",
        labelNames: ["event"],
        buckets: DURATION_BUCKETS,
      }),
      relayBatch: histogram(registry, {
        name: "sagaworks_outbox_relay_batch_messages",
        help: "Messages sent per relay batch (immediate dispatch after a commit, or the catch-up poll).",
        buckets: [1, 2, 5, 10, 20, 50, 100],
      }),
      parked: counter(registry, {
        name: "sagaworks_outbox_parked_total",
        help: "Outbox messages parked because they could never be sent.",
      }),
      transitions: counter(registry, {
        name: "sagaworks_transitions_total",
        help: "Events offered to sagas, by saga, event type and whether they changed the saga.",
        labelNames: ["saga", "event", "applied"],
      }),
    };
  }

  /** A saga was created. */
  sagaStarted(snapshot: SagaSnapshot): void {
    this.prom?.started.inc({ saga: snapshot.sagaName, version: String(snapshot.sagaVersion) });
  }

  /** One event was offered to a saga; `before` is its snapshot before, `now` the clock. */
  transition(before: SagaSnapshot, event: SagaEvent, result: TransitionResult, now: Date): void {
    const prom = this.prom;
    if (!prom) return;
    const saga = before.sagaName;
    const eventType = event.type === "operator" ? `operator.${event.action}` : event.type;
    prom.transitions.inc({ saga, event: eventType, applied: String(result.applied) });
    if (!result.applied) return;
    const after = result.snapshot;
    const waited = activeWork(before);
    if (waited && endsWait(event, waited.step)) {
      const seconds = (now.getTime() - Date.parse(before.updatedAt)) / 1000;
      prom.stepDuration.observe(
        {
          saga,
          step: waited.step,
          kind: waited.compensation ? "compensation" : "action",
          outcome: after.steps[waited.step]?.status ?? "unknown",
        },
        Math.max(0, seconds),
      );
    }
    const next = activeWork(after);
    if (
      next &&
      next.attempt > 1 &&
      next.waitingFor === "reply" &&
      (waited?.step !== next.step ||
        waited.attempt !== next.attempt ||
        waited.waitingFor !== "reply")
    ) {
      prom.retries.inc({
        saga,
        step: next.step,
        kind: next.compensation ? "compensation" : "action",
      });
    }
    if (!TERMINAL_STATUSES.includes(before.status) && TERMINAL_STATUSES.includes(after.status)) {
      prom.finished.inc({ saga, version: String(after.sagaVersion), outcome: after.status });
    }
  }

  /** A reply was handled with this outcome. */
  reply(outcome: ReplyOutcome): void {
    this.prom?.replies.inc({ outcome });
  }

  /** A timer fired `latenessMs` after it was due. */
  timerFired(event: string, latenessMs: number): void {
    this.prom?.timersFired.inc({ event });
    this.prom?.timerLateness.observe({ event }, Math.max(0, latenessMs) / 1000);
  }

  /** The relay sent a batch of `messages`. */
  relayBatchSent(messages: number): void {
    this.prom?.relayBatch.observe(messages);
  }

  /** An outbox message was parked. */
  parkedMessage(): void {
    this.outboxParked++;
    this.prom?.parked.inc();
  }

  /** The counters as plain data, for `/metrics.json`. */
  toJSON(): Record<string, number> {
    return {
      commits: this.commits,
      applied: this.applied,
      ignored: this.ignored,
      duplicates: this.duplicates,
      junkReplies: this.junkReplies,
      outboxParked: this.outboxParked,
      writeConflicts: this.writeConflicts,
    };
  }
}

/** Whether `event` ends the wait on `step` (a reply, an HTTP answer or its timeout). */
function endsWait(event: SagaEvent, step: string): boolean {
  switch (event.type) {
    case "reply":
    case "http-response":
    case "http-failure":
    case "step-timeout":
      return event.step === step;
    default:
      return false;
  }
}
