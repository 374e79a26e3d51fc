// The envelopes the orchestrator sends, built from the engine's effects. Kept apart from the
// store's SQL so that what goes on the wire is decided in one place.
import {
  type CommandEnvelope,
  type CommandKeys,
  createCommandEnvelope,
  createEventEnvelope,
  createReplyEnvelope,
  type EventEnvelope,
  type ReplyEnvelope,
  type SigningKeys,
  signEnvelope,
} from "@sagaworks/messaging";
import { actionKey, type Effect, type SagaSnapshot } from "@sagaworks/saga-engine";

type SendCommand = Extract<Effect, { type: "send-command" }>;
type PublishEvent = Extract<Effect, { type: "publish-event" }>;
type AnswerParent = Extract<Effect, { type: "answer-parent" }>;
type SagaOf = Pick<SagaSnapshot, "sagaId" | "sagaName" | "sagaVersion">;

/**
 * The signed command a `send-command` effect sends. A compensation names the action it undoes by
 * that action's idempotency key (saga-engine's key convention), which the participant guards.
 */
export function commandEnvelopeOf(
  effect: SendCommand,
  saga: SagaOf,
  send: {
    payload: Record<string, unknown>;
    traceparent: string;
    replyTo: string;
    keys: CommandKeys;
    now: Date;
  },
): CommandEnvelope {
  const common = {
    name: effect.command,
    sagaId: saga.sagaId,
    sagaName: saga.sagaName,
    sagaVersion: saga.sagaVersion,
    step: effect.step,
    attempt: effect.attempt,
    idempotencyKey: effect.idempotencyKey,
    replyTo: send.replyTo,
    payload: send.payload,
    trace: { traceparent: send.traceparent },
    // The engine's id: the saga's pending work records it, and a reply must name it.
    messageId: effect.messageId,
  };
  const unsigned = createCommandEnvelope(
    effect.compensation
      ? {
          ...common,
          compensation: true,
          actionKey: actionKey(saga.sagaId, effect.step),
          ...(effect.actionApplied ? { actionApplied: true } : {}),
        }
      : { ...common, compensation: false, ...(effect.chain ? { chain: effect.chain } : {}) },
    () => send.now,
  );
  return signEnvelope(unsigned, send.keys);
}

/** The lifecycle event a `publish-event` effect publishes; a step only when it concerns one. */
export function eventEnvelopeOf(
  effect: PublishEvent,
  saga: SagaOf,
  send: { payload: Record<string, unknown>; traceparent: string; now: Date },
): EventEnvelope {
  return createEventEnvelope(
    {
      name: effect.name,
      sagaId: saga.sagaId,
      sagaName: saga.sagaName,
      sagaVersion: saga.sagaVersion,
      ...(effect.step === null ? {} : { step: effect.step }),
      payload: send.payload,
      trace: { traceparent: send.traceparent },
    },
    () => send.now,
  );
}

/**
 * The reply a child saga's end sends its parent: addressed like a participant's reply to the
 * parent's pending command (its saga, step, attempt, and the command as causation), and signed
 * with the reply key of the `sagas` pseudo-participant, which the parent's reply check expects
 * for a sub-saga step.
 */
export function childReplyEnvelopeOf(
  effect: AnswerParent,
  send: {
    payload: Record<string, unknown>;
    traceparent: string;
    keys: SigningKeys;
    now: Date;
  },
): ReplyEnvelope {
  const { parent } = effect;
  const unsigned = createReplyEnvelope(
    {
      name: effect.reply,
      sagaId: parent.sagaId,
      sagaName: parent.sagaName,
      sagaVersion: parent.sagaVersion,
      step: parent.step,
      attempt: parent.answer.attempt,
      compensation: parent.answer.compensation,
      causationId: parent.answer.commandId,
      payload: send.payload,
      trace: { traceparent: send.traceparent },
    },
    () => send.now,
  );
  return signEnvelope(unsigned, send.keys);
}
