// The timers a test driver keeps for its saga, as the orchestrator's timer table would hold them:
// what the engine arms is added under its id, what it cancels is removed.
import type { Effect } from "../model.ts";

/** A timer the engine armed. */
export type ArmedTimer = Extract<Effect, { type: "schedule-timer" }>;

/** Applies the timer effects of an applied transition to `timers`, by timer id. */
export function trackTimers(timers: Map<string, ArmedTimer>, effects: readonly Effect[]): void {
  for (const effect of effects) {
    if (effect.type === "schedule-timer") timers.set(effect.timerId, effect);
    if (effect.type === "cancel-timer") timers.delete(effect.timerId);
  }
}
