// How an `await` step compiles: its correlation path becomes a mapping expression, its deadline
// the step's timeout, and its events the step's outcomes. A wait is never retried (one attempt:
// the deadline ends it) and has nothing to undo.
import type { CompiledAction, CompiledStep, StepRole } from "../compiled-saga.ts";
import { compileCondition } from "../condition.ts";
import type { AwaitStepDefinition } from "../definition-schema.ts";
import { parseDuration } from "../duration.ts";
import { compileMapping } from "../mapping.ts";

/** The retry policy of a wait: one attempt, the deadline ends it. */
export const ONE_ATTEMPT = {
  maxAttempts: 1,
  initialDelayMs: 1_000,
  backoffRate: 2,
  maxDelayMs: 300_000,
  jitter: "none",
  nonRetryable: [],
} as const;

/** The action of an await step. */
export function compileAwaitAction(step: AwaitStepDefinition): CompiledAction {
  return {
    kind: "await",
    correlation: compileMapping(step.correlation),
    onDeadline: step.deadline.otherwise,
  };
}

/** An await step, compiled (the definition is known to be valid). */
export function compileAwaitStep(
  step: AwaitStepDefinition,
  index: number,
  role: StepRole,
): CompiledStep {
  return {
    name: step.name,
    index,
    description: step.description ?? null,
    service: step.service,
    role,
    action: compileAwaitAction(step),
    outcomes: {
      success: [...step.outcomes.success].sort(),
      businessFailure: [...(step.outcomes.businessFailure ?? [])].sort(),
    },
    compensation: null,
    retry: { ...ONE_ATTEMPT, nonRetryable: [] },
    timeoutMs: parseDuration(step.deadline.after) as number,
    ...(step.when ? { when: compileCondition(step.when) } : {}),
  };
}
