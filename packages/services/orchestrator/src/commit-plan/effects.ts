import {
  type CommandKeys,
  type Envelope,
  envelopeMessage,
  newTraceparent,
  type SigningKeys,
} from "@sagaworks/messaging";
import { activeTraceparent, type Knex, SpanAttribute, SpanKind, tracer } from "@sagaworks/platform";
import { type JsonValue, SUB_SAGA_SERVICE } from "@sagaworks/saga-definition";
import type { Effect, SagaSnapshot } from "@sagaworks/saga-engine";
import { OrchestratorErrorCode, OrchestratorErrors } from "../errors.ts";
import { insertOutboxRows, type NewOutboxRow, type SagaOutboxRow } from "../store/outbox.ts";
import { deleteTimers, type SagaTimer, upsertTimers } from "../store/timers.ts";
import { childReplyEnvelopeOf, commandEnvelopeOf, eventEnvelopeOf } from "./envelopes.ts";

/** Where effects go: resolved once at start-up from the topology. */
export interface Routing {
  /** Queue URL of a participant's command queue. */
  commandQueueUrl(service: string): string;
  /** Name of the orchestrator's reply queue, written into every command's `replyTo`. */
  replyQueueName: string;
  /** URL of that queue: a child saga's end is sent there as a reply to its parent. */
  replyQueueUrl: string;
  /**
   * The reply key of the `sagas` pseudo-participant, which signs a child saga's answer to its
   * parent; undefined when no definition starts a sub-saga.
   */
  childReplyKeys?: SigningKeys | undefined;
  /** ARN of the saga-events topic. */
  eventsTopicArn: string;
  /** Signs every command, so participants can tell it came from an orchestrator. */
  commandKeys: CommandKeys;
  /**
   * Publish step-level lifecycle events (`saga.step.completed`, `.failed`, `.retrying`,
   * `.compensated`) too; defaults to false: only saga-level ones (started, completed,
   * compensated, failed, needs-intervention, resolved, deadline-passed) are published. Step
   * events are most of a saga's messages; the history keeps every step for the inspector.
   */
  stepEvents?: boolean;
}

/** Lifecycle events about one step, published only when {@link Routing.stepEvents} is set. */
const STEP_LEVEL_EVENTS: ReadonlySet<string> = new Set([
  "saga.step.completed",
  "saga.step.failed",
  "saga.step.retrying",
  "saga.step.compensated",
  "saga.step.not-taken",
  "saga.step.waiting",
]);

/** Whether the lifecycle event `name` is published under these routing settings. */
export function publishesEvent(routing: Routing, name: string): boolean {
  return routing.stepEvents === true || !STEP_LEVEL_EVENTS.has(name);
}

const asObject = (value: JsonValue): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? value : { value };

/**
 * The trace context a message carries. With tracing on, a producer span "saga.send" is recorded
 * (the message enters the outbox in this transaction; the relay sends it after commit) and the
 * message carries that span's context, so the receiver's span is its child. With tracing off, a
 * hand-made child of the saga's trace id, so every message of one saga still names one trace.
 */
function traceparent(
  traceId: string,
  send: { name: string; sagaId: string; saga: string; step?: string; attempt?: number },
): string {
  const span = tracer().startSpan(`saga.send ${send.name}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      [SpanAttribute.sagaId]: send.sagaId,
      [SpanAttribute.sagaName]: send.saga,
      ...(send.step === undefined ? {} : { [SpanAttribute.step]: send.step }),
      ...(send.attempt === undefined ? {} : { [SpanAttribute.attempt]: send.attempt }),
      [SpanAttribute.messageName]: send.name,
    },
  });
  try {
    if (span.isRecording()) {
      const { traceId: spanTraceId, spanId, traceFlags } = span.spanContext();
      return `00-${spanTraceId}-${spanId}-0${traceFlags & 1}`;
    }
    return activeTraceparent() ?? newTraceparent(traceId);
  } finally {
    span.end();
  }
}

/** The outbox row of an envelope: the row's kind and the message's transport are one value. */
function envelopeRow(
  sagaId: string,
  transport: "sqs" | "sns",
  destination: string,
  envelope: Envelope,
): NewOutboxRow {
  return {
    saga_id: sagaId,
    kind: transport,
    destination,
    message: { transport, ...envelopeMessage(envelope) },
  };
}

/** Where a transition's effects are written to. */
export interface EffectContext {
  snapshot: SagaSnapshot;
  traceId: string;
  routing: Routing;
  now: Date;
  /** False for rows any replica's poll may send at once (no writer sends them after commit). */
  leased?: boolean;
}

/** What a transition's effects write: outbox rows, and timers armed and cancelled. */
export interface PlannedEffects {
  rows: NewOutboxRow[];
  /** Timers to delete (none of them armed again by the same transition). */
  cancelled: string[];
  /** Timers to arm (insert, or replace time and event). */
  scheduled: SagaTimer[];
}

/**
 * Writes a transition's effects inside the caller's transaction: outgoing messages and HTTP
 * calls into the outbox, timers into the timer table. Returns the new outbox rows, so the relay
 * can send them right after commit without reading them back.
 */
export async function writeEffects(
  trx: Knex,
  effects: readonly Effect[],
  context: EffectContext,
): Promise<SagaOutboxRow[]> {
  const { rows, cancelled, scheduled } = planEffects(effects, context);
  await deleteTimers(trx, cancelled);
  await upsertTimers(trx, scheduled);
  return insertOutboxRows(trx, rows, context.now, { leased: context.leased ?? true });
}

/** Turns effects into the rows they write (pure: builds and validates the envelopes). */
export function planEffects(effects: readonly Effect[], context: EffectContext): PlannedEffects {
  const { snapshot, routing, now } = context;
  const compiled = { name: snapshot.sagaName, version: snapshot.sagaVersion };
  /** The trace context of one message of this saga, about a step (and attempt) where it has one. */
  const sendTrace = (name: string, about: { step?: string; attempt?: number }) =>
    traceparent(context.traceId, {
      name,
      sagaId: snapshot.sagaId,
      saga: compiled.name,
      ...(about.step === undefined ? {} : { step: about.step }),
      ...(about.attempt === undefined ? {} : { attempt: about.attempt }),
    });
  const rows: NewOutboxRow[] = [];
  const cancelled: string[] = [];
  const scheduled: SagaTimer[] = [];
  for (const effect of effects) {
    switch (effect.type) {
      case "send-command": {
        const envelope = commandEnvelopeOf(effect, snapshot, {
          payload: asObject(effect.payload),
          traceparent: sendTrace(effect.command, effect),
          replyTo: routing.replyQueueName,
          keys: routing.commandKeys,
          now,
        });
        rows.push(
          envelopeRow(snapshot.sagaId, "sqs", routing.commandQueueUrl(effect.service), envelope),
        );
        break;
      }
      case "call-http": {
        const { type: _effect, ...call } = effect;
        rows.push({
          saga_id: snapshot.sagaId,
          kind: "http",
          destination: effect.service,
          message: {
            transport: "http",
            sagaId: snapshot.sagaId,
            ...call,
            traceparent: sendTrace(`${effect.method} ${effect.service}`, effect),
          },
        });
        break;
      }
      case "publish-event": {
        // Still listed in the history's effects; only the message is left out.
        if (!publishesEvent(routing, effect.name)) break;
        const envelope = eventEnvelopeOf(effect, snapshot, {
          payload: summariseEventDetail(effect.detail),
          traceparent: sendTrace(effect.name, effect.step === null ? {} : { step: effect.step }),
          now,
        });
        rows.push(envelopeRow(snapshot.sagaId, "sns", routing.eventsTopicArn, envelope));
        break;
      }
      case "schedule-timer":
        scheduled.push({
          id: effect.timerId,
          sagaId: snapshot.sagaId,
          fireAt: new Date(effect.fireAt),
          event: effect.event,
        });
        break;
      case "cancel-timer":
        cancelled.push(effect.timerId);
        break;
      case "finish":
        break;
      case "answer-parent": {
        const keys = routing.childReplyKeys;
        if (!keys) {
          throw OrchestratorErrors.create(
            OrchestratorErrorCode.childReplyKeyMissing,
            `Saga ${snapshot.sagaId} was started by saga ${effect.parent.sagaId} but the orchestrator has no reply key for "${SUB_SAGA_SERVICE}": load the definitions that start sub-sagas, or set its key in REPLY_SIGNING_KEYS.`,
            { sagaId: snapshot.sagaId, parent: effect.parent.sagaId },
          );
        }
        const envelope = childReplyEnvelopeOf(effect, {
          payload: asObject(effect.payload),
          traceparent: sendTrace(effect.reply, {}),
          keys,
          now,
        });
        rows.push(envelopeRow(snapshot.sagaId, "sqs", routing.replyQueueUrl, envelope));
        break;
      }
    }
  }
  // A timer cancelled and re-armed in one transition keeps the new schedule.
  const rearmed = new Set(scheduled.map((timer) => timer.id));
  return { rows, cancelled: cancelled.filter((id) => !rearmed.has(id)), scheduled };
}

/**
 * What two transitions applied one after the other write as one: the rows of both in order, and
 * the timers the second leaves armed. A timer the first arms and the second cancels is never
 * written (a start's step timeout, when the start made the step's read-only call inline).
 */
export function mergePlannedEffects(first: PlannedEffects, second: PlannedEffects): PlannedEffects {
  const cancelledLater = new Set(second.cancelled);
  const armedLater = new Set(second.scheduled.map((timer) => timer.id));
  return {
    rows: [...first.rows, ...second.rows],
    cancelled: [
      ...first.cancelled.filter((id) => !armedLater.has(id) && !cancelledLater.has(id)),
      ...second.cancelled,
    ],
    scheduled: [
      ...first.scheduled.filter(
        (timer) => !cancelledLater.has(timer.id) && !armedLater.has(timer.id),
      ),
      ...second.scheduled,
    ],
  };
}

/** Longest string a lifecycle event carries; longer ones are cut (the saga's API has them). */
const MAX_EVENT_STRING = 500;

/**
 * What a lifecycle event carries: references and small summaries, never the whole input (which
 * may be as large as a command can carry, far over SNS's 256 KB). Subscribers that need the
 * input read the saga through the API by its id.
 */
export function summariseEventDetail(detail: JsonValue): Record<string, unknown> {
  const object = asObject(detail);
  const summary: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (key === "input") {
      summary.inputBytes = Buffer.byteLength(JSON.stringify(value ?? null), "utf8");
      continue;
    }
    summary[key] = shorten(value as JsonValue, 0);
  }
  return summary;
}

function shorten(value: JsonValue, depth: number): JsonValue {
  if (typeof value === "string") {
    if (value.length <= MAX_EVENT_STRING) return value;
    // Never cut between the two halves of a character outside the BMP: a lone surrogate is a
    // character SQS refuses.
    const high = value.charCodeAt(MAX_EVENT_STRING - 1);
    const end = high >= 0xd800 && high <= 0xdbff ? MAX_EVENT_STRING - 1 : MAX_EVENT_STRING;
    return `${value.slice(0, end)}…`;
  }
  if (value === null || typeof value !== "object") return value;
  // Engine details are two levels deep (`failure.message`); deeper data is not a summary.
  if (depth >= 3) return "(omitted)";
  if (Array.isArray(value)) return value.slice(0, 20).map((item) => shorten(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, shorten(item, depth + 1)]),
  );
}

/** Looks up a command queue, failing clearly for a service the topology does not know. */
export function queueUrlLookup(urls: ReadonlyMap<string, string>): (service: string) => string {
  return (service) => {
    const url = urls.get(service);
    if (!url) {
      throw OrchestratorErrors.create(
        OrchestratorErrorCode.routingUnknown,
        `No command queue for service "${service}". Add it to the topology's participants.`,
        { service },
      );
    }
    return url;
  };
}
