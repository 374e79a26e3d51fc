// What a participant's reply names as the command it answers, for the test drivers: the engine
// applies a reply only when its `causationId` is the message id of the command it waits on.
import type { Effect } from "../model.ts";

/** `{ causationId }` of the last command sent for that step, attempt and direction, if any. */
export function causationFor(
  effects: readonly Effect[],
  at: { step: string; attempt: number; compensation: boolean },
): { causationId?: string } {
  const sent = effects.findLast(
    (effect) =>
      effect.type === "send-command" &&
      effect.step === at.step &&
      effect.attempt === at.attempt &&
      effect.compensation === at.compensation,
  );
  return sent?.type === "send-command" ? { causationId: sent.messageId } : {};
}
