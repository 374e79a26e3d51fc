import { randomBytes } from "node:crypto";
import {
  type CommandKeys,
  createEnvelope,
  envelopeMessage,
  type OutboxMessage as MessageRow,
  outboxAvailableAt,
  signEnvelope,
} from "@sagaworks/messaging";
import type { Knex } from "@sagaworks/platform";
import type { CompiledSaga, JsonValue } from "@sagaworks/saga-definition";
import type { Effect, SagaSnapshot, TimerEvent } from "@sagaworks/saga-engine";
import { OrchestratorError, OrchestratorErrorCode } from "../errors.ts";

/** Where effects go: resolved once at start-up from the topology. */
export interface Routing {
  /** Queue URL of a participant's command queue. */
  commandQueueUrl(service: string): string;
  /** Name of the orchestrator's reply queue, written into every command's `replyTo`. */
  replyQueueName: string;
  /** ARN of the saga-events topic. */
  eventsTopicArn: string;
  /** Signs every command, so participants can tell it came from an orchestrator. */
  commandKeys: CommandKeys;
}

/** An outbox row's message: an SQS/SNS message, or an HTTP call for the invoker. */
export type OutboxMessage =
  | MessageRow
  | {
      transport: "http";
      sagaId: string;
      service: string;
      method: string;
      path: string;
      query: JsonValue | null;
      body: JsonValue | null;
      step: string;
      attempt: number;
      idempotencyKey: string;
      timeoutMs: number;
    };

/** A row of `saga_outbox`. */
export interface SagaOutboxRow {
  id: string;
  saga_id: string;
  kind: "sqs" | "sns" | "http";
  destination: string;
  message: OutboxMessage;
  attempts: number;
}

const asObject = (value: JsonValue): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? value : { value };

/** A child span of the saga's trace, so every message of one saga joins one trace. */
function traceparent(traceId: string): string {
  return `00-${traceId}-${randomBytes(8).toString("hex")}-01`;
}

/**
 * Writes a transition's effects inside the caller's transaction: outgoing messages and HTTP
 * calls into the outbox, timers into the timer table. Returns the new outbox rows, so the relay
 * can send them right after commit without reading them back.
 */
export async function writeEffects(
  trx: Knex,
  effects: readonly Effect[],
  context: {
    compiled: CompiledSaga;
    snapshot: SagaSnapshot;
    traceId: string;
    routing: Routing;
    now: Date;
  },
): Promise<SagaOutboxRow[]> {
  const { compiled, snapshot, routing, now } = context;
  const rows: Omit<SagaOutboxRow, "id" | "attempts">[] = [];
  const cancelled: string[] = [];
  const scheduled: { id: string; saga_id: string; fire_at: Date; event: string }[] = [];
  for (const effect of effects) {
    switch (effect.type) {
      case "send-command": {
        const unsigned = createEnvelope(
          {
            kind: "command",
            name: effect.command,
            sagaId: snapshot.sagaId,
            sagaName: compiled.name,
            sagaVersion: compiled.version,
            step: effect.step,
            attempt: effect.attempt,
            compensation: effect.compensation,
            idempotencyKey: effect.idempotencyKey,
            replyTo: routing.replyQueueName,
            payload: asObject(effect.payload),
            trace: { traceparent: traceparent(context.traceId) },
          },
          () => now,
        );
        const envelope = signEnvelope(unsigned, routing.commandKeys);
        rows.push({
          saga_id: snapshot.sagaId,
          kind: "sqs",
          destination: routing.commandQueueUrl(effect.service),
          message: { transport: "sqs", ...envelopeMessage(envelope) },
        });
        break;
      }
      case "call-http":
        rows.push({
          saga_id: snapshot.sagaId,
          kind: "http",
          destination: effect.service,
          message: {
            transport: "http",
            sagaId: snapshot.sagaId,
            service: effect.service,
            method: effect.method,
            path: effect.path,
            query: effect.query,
            body: effect.body,
            step: effect.step,
            attempt: effect.attempt,
            idempotencyKey: effect.idempotencyKey,
            timeoutMs: effect.timeoutMs,
          },
        });
        break;
      case "publish-event": {
        const envelope = createEnvelope(
          {
            kind: "event",
            name: effect.name,
            sagaId: snapshot.sagaId,
            sagaName: compiled.name,
            sagaVersion: compiled.version,
            step: effect.step ?? "(saga)",
            attempt: 1,
            compensation: false,
            payload: asObject(effect.detail),
            trace: { traceparent: traceparent(context.traceId) },
          },
          () => now,
        );
        rows.push({
          saga_id: snapshot.sagaId,
          kind: "sns",
          destination: routing.eventsTopicArn,
          message: { transport: "sns", ...envelopeMessage(envelope) },
        });
        break;
      }
      case "schedule-timer":
        scheduled.push({
          id: effect.timerId,
          saga_id: snapshot.sagaId,
          fire_at: new Date(effect.fireAt),
          event: JSON.stringify(effect.event satisfies TimerEvent),
        });
        break;
      case "cancel-timer":
        cancelled.push(effect.timerId);
        break;
      case "finish":
        break;
    }
  }
  // A timer cancelled and re-armed in one transition keeps the new schedule.
  const rearmed = new Set(scheduled.map((timer) => timer.id));
  const toDelete = cancelled.filter((id) => !rearmed.has(id));
  if (toDelete.length > 0) await trx("saga_timers").whereIn("id", toDelete).delete();
  if (scheduled.length > 0) {
    await trx("saga_timers").insert(scheduled).onConflict("id").merge(["fire_at", "event"]);
  }
  if (rows.length === 0) return [];
  const inserted = (await trx("saga_outbox")
    .insert(
      rows.map((row) => ({
        ...row,
        message: JSON.stringify(row.message),
        // Messages are leased to this process, which sends them right after the commit; HTTP
        // calls are due now for whichever replica's invoker claims them first.
        available_at: row.kind === "http" ? now : outboxAvailableAt(now),
        created_at: now,
      })),
    )
    .returning("id")) as { id: string | number }[];
  return rows.map((row, index) => ({ ...row, id: String(inserted[index]?.id), attempts: 0 }));
}

/** Whether a row is an SQS/SNS message for the relay (not an HTTP call for the invoker). */
export function isMessageRow(row: SagaOutboxRow): row is SagaOutboxRow & { message: MessageRow } {
  return row.message.transport !== "http";
}

/** Looks up a command queue, failing clearly for a service the topology does not know. */
export function queueUrlLookup(urls: ReadonlyMap<string, string>): (service: string) => string {
  return (service) => {
    const url = urls.get(service);
    if (!url) {
      throw new OrchestratorError(
        OrchestratorErrorCode.routingUnknown,
        `No command queue for service "${service}". Add it to the topology's participants.`,
        { service },
      );
    }
    return url;
  };
}
