// A participant's reply, for the test drivers. The engine applies a reply only when its
// `causationId` is the message id of the command it waits on, so the reply names that command as
// the participant SDK does.
import type { JsonValue } from "@sagaworks/saga-definition";
import type { Effect, SagaEvent } from "../model.ts";

/** The reply to that attempt, naming the last command sent for its step and direction, if any. */
export function replyTo(
  effects: readonly Effect[],
  at: { step: string; attempt: number; compensation: boolean },
  name: string,
  payload: JsonValue,
): Extract<SagaEvent, { type: "reply" }> {
  const sent = effects.findLast(
    (effect) =>
      effect.type === "send-command" &&
      effect.step === at.step &&
      effect.attempt === at.attempt &&
      effect.compensation === at.compensation,
  );
  const { step, attempt, compensation } = at;
  return sent?.type === "send-command"
    ? { type: "reply", step, attempt, compensation, name, payload, causationId: sent.messageId }
    : { type: "reply", step, attempt, compensation, name, payload };
}
