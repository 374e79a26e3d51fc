import {
  CachedReading,
  type Counter,
  counter,
  type Database,
  DURATION_BUCKETS,
  gauge,
  type Histogram,
  histogram,
  type MetricsRegistry,
  perRegistry,
} from "@sagaworks/platform";
import { replyBacklog } from "./participant-store.ts";

/** How a command ended at a participant: the `outcome` label of `sagaworks_commands_total`. */
export type CommandOutcome = "replied" | "duplicate" | "refused" | "retry" | "poison" | "error";

/**
 * A participant's Prometheus instruments: commands handled by type and outcome, handler
 * duration, inbox duplicates, and the reply outbox's backlog (the lag between a reply's commit
 * and its send). Labels: service and command name only.
 */
export class ParticipantMetrics {
  private readonly commands: Counter<"service" | "command" | "outcome">;
  private readonly duration: Histogram<"service" | "command">;
  private readonly duplicates: Counter<"service" | "command">;
  private readonly service: string;

  constructor(registry: MetricsRegistry, service: string, db: Database) {
    this.service = service;
    this.commands = counter(registry, {
      name: "sagaworks_commands_total",
      help: "Commands taken by participants, by service, command and outcome (replied, duplicate, refused by a guard, retry, poison, error).",
      labelNames: ["service", "command", "outcome"],
    });
    this.duration = histogram(registry, {
      name: "sagaworks_command_handler_duration_seconds",
      help: "Time to handle a command in its local transaction (inbox, handler, reply outbox), by service and command.",
      labelNames: ["service", "command"],
      buckets: DURATION_BUCKETS,
    });
    this.duplicates = counter(registry, {
      name: "sagaworks_inbox_duplicates_total",
      help: "Commands the inbox recognised as already handled (the stored reply is sent again).",
      labelNames: ["service", "command"],
    });
    const backlog = new CachedReading(() => replyBacklog(db.knex), 15_000);
    const readings = backlogs(registry);
    readings.set(service, backlog);
    gauge(registry, {
      name: "sagaworks_reply_outbox_oldest_age_seconds",
      help: "Age of the oldest reply not yet sent from a participant's outbox (0 when empty), by service; cached 15 s.",
      labelNames: ["service"],
      async collect() {
        for (const [name, reading] of readings) {
          const value = await reading.get();
          if (!value) continue;
          this.set(
            { service: name },
            value.oldest === null ? 0 : Math.max(0, (Date.now() - value.oldest) / 1000),
          );
        }
      },
    });
    gauge(registry, {
      name: "sagaworks_reply_outbox_pending",
      help: "Replies not yet sent from a participant's outbox, by service; cached 15 s.",
      labelNames: ["service"],
      async collect() {
        for (const [name, reading] of readings) {
          const value = await reading.get();
          if (value) this.set({ service: name }, value.pending);
        }
      },
    });
  }

  /** A command ended with `outcome` after `seconds`. */
  handled(command: string, outcome: CommandOutcome, seconds: number): void {
    this.commands.inc({ service: this.service, command, outcome });
    if (outcome === "duplicate") this.duplicates.inc({ service: this.service, command });
    this.duration.observe({ service: this.service, command }, seconds);
  }
}

const backlogs = perRegistry<CachedReading<{ pending: number; oldest: number | null }>>();
