// Where an outside event enters, by HTTP or from the outside-events queue: it is checked against
// its contract, correlated with the saga waiting on its key, and applied through the runtime's
// one apply path, deduplicated by the event's id in the same inbox as replies. An event with no
// open wait is late when a saga already waited on its key (recorded in that saga's history,
// counted, published, never applied), or kept for a bounded time when none has yet: the wait
// may open later (see early-events.ts).
import { correlationValue, type DeclaredEvent, declaredEvents } from "@sagaworks/contracts";
import {
  type Counter,
  counter,
  type Knex,
  type Logger,
  type MetricsRegistry,
} from "@sagaworks/platform";
import type { ContractRegistry, JsonValue } from "@sagaworks/saga-definition";
import {
  LifecycleEvent,
  type SagaEvent,
  type SagaSnapshot,
  scopedWaitKey,
} from "@sagaworks/saga-engine";
import { type Routing, writeEffects } from "../commit-plan/effects.ts";
import type { SagaRuntime } from "../saga-runtime.ts";
import { getInstance } from "../store/instances.ts";

/** How an event reached the orchestrator. */
export type EventChannel = "http" | "sns" | "early";

/** An outside event as a sender delivers it. */
export interface IncomingEvent {
  /** The event's name, as its contract declares it (`PaymentCaptured`). */
  name: string;
  /** The sender's id of this event: a second delivery with it is a duplicate. */
  eventId: string;
  payload: unknown;
}

/** What became of an event; the HTTP route and the queue consumer turn it into their answers. */
export type EventVerdict =
  | { kind: "applied"; sagaId: string; step: string }
  | { kind: "duplicate"; sagaId: string | null }
  | { kind: "kept"; expiresAt: string }
  | { kind: "late"; sagaId: string; step: string | null; sagaStatus: string; note: string }
  | { kind: "no-wait"; name: string }
  | { kind: "unknown-event"; name: string; known: string[] }
  | { kind: "invalid"; problems: string[] };

/** Options of {@link EventIntake}. */
export interface EventIntakeOptions {
  knex: Knex;
  runtime: Pick<SagaRuntime, "apply">;
  contracts: ContractRegistry;
  /** Names of the events some deployed definition waits for; others can never apply. */
  awaitedEvents: () => ReadonlySet<string>;
  /** Where the late-event notice is published (the saga-events topic). */
  routing: Routing;
  logger: Logger;
  clock: () => Date;
  /** How long an event that came before its wait is kept. */
  earlyEventTtlMs: number;
  metrics?: MetricsRegistry | undefined;
}

/** Outcomes counted in `sagaworks_outside_events_total`. */
type CountedOutcome = EventVerdict["kind"] | "expired";

/** Takes outside events in and applies them to the saga waiting on their key. */
export class EventIntake {
  private readonly options: EventIntakeOptions;
  private readonly events: ReadonlyMap<string, DeclaredEvent>;
  private readonly counted: Counter<"outcome" | "channel"> | undefined;

  constructor(options: EventIntakeOptions) {
    this.options = options;
    this.events = declaredEvents(options.contracts);
    this.counted = options.metrics
      ? counter(options.metrics, {
          name: "sagaworks_outside_events_total",
          help: "Outside events received, by outcome (applied, duplicate, kept early, late, expired early, no-wait, unknown-event, invalid) and channel (http, sns, early).",
          labelNames: ["outcome", "channel"],
        })
      : undefined;
  }

  /** Counts an outcome (the early-event matcher counts its expirations here too). */
  count(outcome: CountedOutcome, channel: EventChannel): void {
    this.counted?.inc({ outcome, channel });
  }

  /** Checks, correlates and applies one event. Never throws on bad input: see the verdict. */
  async receive(event: IncomingEvent, channel: EventChannel): Promise<EventVerdict> {
    const verdict = await this.judge(event, channel);
    this.count(verdict.kind, channel);
    if (verdict.kind === "late") {
      this.options.logger.warn(
        { sagaId: verdict.sagaId, event: event.name, eventId: event.eventId, channel },
        `late event ${event.name} ${event.eventId}: ${verdict.note}`,
      );
    }
    return verdict;
  }

  private async judge(event: IncomingEvent, channel: EventChannel): Promise<EventVerdict> {
    const declared = this.events.get(event.name);
    if (!declared) {
      return { kind: "unknown-event", name: event.name, known: [...this.events.keys()].sort() };
    }
    const parsed = declared.contract.payload.safeParse(event.payload);
    if (!parsed.success) {
      return {
        kind: "invalid",
        problems: parsed.error.issues.map(
          (issue) => `${["payload", ...issue.path].join(".")}: ${issue.message}`,
        ),
      };
    }
    const value = correlationValue(parsed.data, declared.contract.correlation);
    if (typeof value !== "string" && !(typeof value === "number" && Number.isInteger(value))) {
      return {
        kind: "invalid",
        problems: [
          `payload.${declared.contract.correlation}: the correlation field must hold a string or an integer`,
        ],
      };
    }
    const key = String(value);
    const engineEvent: Extract<SagaEvent, { type: "outside-event" }> = {
      type: "outside-event",
      eventId: event.eventId,
      service: declared.service,
      name: declared.name,
      key,
      payload: parsed.data as JsonValue,
    };
    const scoped = scopedWaitKey(declared.service, key);
    const knex = this.options.knex;
    const open = await knex("saga_instances").where({ wait_key: scoped }).first("id");
    const waited =
      open ??
      (await knex("saga_instances")
        .whereRaw("waited_keys @> ?::jsonb", [JSON.stringify([scoped])])
        .orderBy("created_at", "desc")
        .first("id"));
    if (waited) return this.deliver(waited.id as string, engineEvent, channel);
    if (!this.options.awaitedEvents().has(declared.name))
      return { kind: "no-wait", name: declared.name };
    return this.keep(engineEvent, scoped);
  }

  /**
   * Applies the event to the saga whose wait it correlates with, through the runtime's apply
   * path: the inbox keyed by the event's id drops a duplicate; an event the engine does not
   * apply is late.
   */
  async deliver(
    sagaId: string,
    event: Extract<SagaEvent, { type: "outside-event" }>,
    channel: EventChannel,
  ): Promise<EventVerdict> {
    const outcome = await this.options.runtime.apply(sagaId, event, {
      dedupeKey: `event:${event.eventId}`,
    });
    if (outcome.kind === "duplicate") return { kind: "duplicate", sagaId };
    if (outcome.kind === "applied") {
      const step = stepWaitingOn(outcome.result.snapshot, event) ?? "";
      return { kind: "applied", sagaId, step };
    }
    if (outcome.kind === "unknown-saga" || outcome.kind === "timer-gone") {
      return { kind: "no-wait", name: event.name };
    }
    return this.late(sagaId, event, outcome.result.note, channel);
  }

  /** Publishes that a late event came (never applied), so its sender's owners can act. */
  private async late(
    sagaId: string,
    event: Extract<SagaEvent, { type: "outside-event" }>,
    note: string,
    channel: EventChannel,
  ): Promise<EventVerdict> {
    const { knex, routing, clock } = this.options;
    const instance = await getInstance(knex, sagaId);
    if (!instance) return { kind: "no-wait", name: event.name };
    const step = stepWaitingOn(instance.snapshot, event);
    const now = clock();
    await knex.transaction((trx) =>
      writeEffects(
        trx,
        [
          {
            type: "publish-event",
            name: LifecycleEvent.eventLate,
            step,
            detail: {
              sagaId,
              status: instance.snapshot.status,
              event: event.name,
              eventId: event.eventId,
              service: event.service,
              key: event.key,
              channel,
              note,
            },
          },
        ],
        // Not leased: no writer sends it after this commit, so the relay's next poll does.
        { snapshot: instance.snapshot, traceId: instance.traceId, routing, now, leased: false },
      ),
    );
    return { kind: "late", sagaId, step, sagaStatus: instance.snapshot.status, note };
  }

  /** Keeps an event that came before its wait opened, until it opens or the event expires. */
  private async keep(
    event: Extract<SagaEvent, { type: "outside-event" }>,
    scoped: string,
  ): Promise<EventVerdict> {
    const now = this.options.clock();
    const expiresAt = new Date(now.getTime() + this.options.earlyEventTtlMs);
    const inserted = await this.options
      .knex("saga_early_events")
      .insert({
        event_id: event.eventId,
        wait_key: scoped,
        service: event.service,
        name: event.name,
        correlation_key: event.key,
        payload: JSON.stringify(event.payload),
        received_at: now,
        expires_at: expiresAt,
      })
      .onConflict("event_id")
      .ignore()
      .returning("event_id");
    if (inserted.length === 0) return { kind: "duplicate", sagaId: null };
    return { kind: "kept", expiresAt: expiresAt.toISOString() };
  }
}

/** The step of `snapshot` whose wait had the event's key. */
function stepWaitingOn(
  snapshot: SagaSnapshot,
  event: Extract<SagaEvent, { type: "outside-event" }>,
): string | null {
  const scoped = scopedWaitKey(event.service, event.key);
  for (const [name, record] of Object.entries(snapshot.steps)) {
    if (record.waitKey === scoped) return name;
  }
  return null;
}
