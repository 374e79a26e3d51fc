// What the history keeps of one event offered to a saga (pure: the runtime writes it).
import type { CompiledSaga } from "@sagaworks/saga-definition";
import type { Effect, SagaEvent, SagaSnapshot, TransitionResult } from "@sagaworks/saga-engine";
import type { HistoryEntry } from "./store/history.ts";

/** The history entry of one event offered to a saga. */
export function historyEntry(
  snapshot: SagaSnapshot,
  event: SagaEvent,
  result: TransitionResult,
  now: Date,
  options: { actor?: string | undefined; reason?: string | undefined },
): HistoryEntry {
  return {
    seq: snapshot.seq,
    at: now,
    eventType: event.type === "operator" ? `operator.${event.action}` : event.type,
    event,
    applied: result.applied,
    note: result.note,
    status: snapshot.status,
    state: snapshot.state,
    actor: options.actor ?? (event.type === "operator" ? event.actor : null),
    reason: options.reason ?? (event.type === "operator" ? event.reason : null),
    effects: result.effects.map(summariseEffect),
  };
}

/** Whether an event is a reply naming a step the saga's definition does not have. */
export function isJunkReply(compiled: CompiledSaga, event: SagaEvent): boolean {
  return event.type === "reply" && !compiled.steps.some((step) => step.name === event.step);
}

/** What the history keeps of an effect: enough to read the timeline, not whole payloads. */
function summariseEffect(effect: Effect): Record<string, unknown> {
  switch (effect.type) {
    case "send-command":
      return {
        type: effect.type,
        service: effect.service,
        command: effect.command,
        step: effect.step,
        attempt: effect.attempt,
        compensation: effect.compensation,
        // The commands its participants send on: which steps they are, not what they carry.
        ...(effect.chain
          ? { chain: effect.chain.map((link) => ({ step: link.step, command: link.command })) }
          : {}),
      };
    case "call-http":
      return {
        type: effect.type,
        service: effect.service,
        method: effect.method,
        path: effect.path,
        attempt: effect.attempt,
      };
    case "schedule-timer":
      return {
        type: effect.type,
        timerId: effect.timerId,
        fireAt: effect.fireAt,
        event: effect.event.type,
      };
    case "cancel-timer":
      return { type: effect.type, timerId: effect.timerId };
    case "publish-event":
      return { type: effect.type, name: effect.name, step: effect.step };
    case "finish":
      return { type: effect.type, status: effect.status };
    case "answer-parent":
      return {
        type: effect.type,
        reply: effect.reply,
        parentSagaId: effect.parent.sagaId,
        step: effect.parent.step,
        attempt: effect.parent.answer.attempt,
        compensation: effect.parent.answer.compensation,
      };
  }
}
