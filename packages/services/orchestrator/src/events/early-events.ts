// Events that came before their wait opened: a poller applies each once a saga waits on its key
// (in the order they were received; after the first outcome the others are late, as for any
// event), and drops those whose time ran out. Polling, not a hook in the commit path: a wait
// opens in whatever transaction reaches the await step, and the event can wait a poll interval.
import type { Knex, Logger } from "@sagaworks/platform";
import type { JsonValue } from "@sagaworks/saga-definition";
import { PollLoop } from "../worker/poll-loop.ts";
import type { EventIntake } from "./event-intake.ts";

/** Options of {@link EarlyEventMatcher}, complete: the orchestrator resolves the defaults. */
export interface EarlyEventMatcherOptions {
  knex: Knex;
  intake: Pick<EventIntake, "deliver" | "count">;
  logger: Logger;
  clock: () => Date;
  /** How often early events are matched with open waits (`earlyEventPollIntervalMs`). */
  pollIntervalMs: number;
  /** Early events matched per poll (`earlyEventBatchSize`). */
  batchSize: number;
}

interface EarlyEventRow {
  event_id: string;
  service: string;
  name: string;
  correlation_key: string;
  payload: JsonValue;
  saga_id: string;
}

/** Applies kept early events to the waits that opened for them, and expires the rest. */
export class EarlyEventMatcher {
  private readonly options: EarlyEventMatcherOptions;
  private readonly loop: PollLoop;

  constructor(options: EarlyEventMatcherOptions) {
    this.options = options;
    this.loop = new PollLoop({
      name: "early event poll",
      intervalMs: this.options.pollIntervalMs,
      batchSize: this.options.batchSize,
      logger: this.options.logger,
      poll: async () => {
        const matched = await this.matchOpenWaits();
        await this.expire();
        return matched;
      },
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /**
   * Applies the early events whose wait is open now; returns how many it applied. Two replicas
   * may take one event: the inbox keyed by its id applies it once, and the row goes either way.
   */
  async matchOpenWaits(): Promise<number> {
    const { knex } = this.options;
    const rows = (await knex("saga_early_events as e")
      .join("saga_instances as i", "i.wait_key", "e.wait_key")
      .where("e.expires_at", ">", this.options.clock())
      .orderBy("e.received_at")
      .limit(this.options.batchSize)
      .select(
        "e.event_id",
        "e.service",
        "e.name",
        "e.correlation_key",
        "e.payload",
        "i.id as saga_id",
      )) as EarlyEventRow[];
    for (const row of rows) {
      const verdict = await this.options.intake.deliver(
        row.saga_id,
        {
          type: "outside-event",
          eventId: row.event_id,
          service: row.service,
          name: row.name,
          key: row.correlation_key,
          payload: row.payload,
        },
        "early",
      );
      this.options.intake.count(verdict.kind, "early");
      await knex("saga_early_events").where({ event_id: row.event_id }).delete();
      this.options.logger.info(
        { sagaId: row.saga_id, event: row.name, eventId: row.event_id, outcome: verdict.kind },
        `early event ${row.name} ${row.event_id}: ${verdict.kind} when its wait opened`,
      );
    }
    return rows.length;
  }

  /** Drops the early events whose time ran out with no wait opened for them. */
  async expire(): Promise<number> {
    const expired = (await this.options
      .knex("saga_early_events")
      .where("expires_at", "<=", this.options.clock())
      .delete()
      .returning(["event_id", "name", "correlation_key"])) as Array<{
      event_id: string;
      name: string;
      correlation_key: string;
    }>;
    for (const row of expired) {
      this.options.intake.count("expired", "early");
      this.options.logger.warn(
        { event: row.name, eventId: row.event_id, key: row.correlation_key },
        `early event ${row.name} ${row.event_id} expired: no saga waited on key "${row.correlation_key}" in time`,
      );
    }
    return expired.length;
  }
}
