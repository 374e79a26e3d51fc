// How a sub-saga step compiles: a step of the pseudo-service `sagas` (the orchestrator) whose
// success is the child completing and whose business failure is the child compensated or
// failed. One attempt: starting a second child while the first may still run would do its work
// twice, so the deadline ends the step with an unknown outcome (as an exhausted command does).
import { ONE_ATTEMPT } from "../await/compile-await.ts";
import type {
  CompiledAction,
  CompiledCompensation,
  CompiledRetryPolicy,
  CompiledStep,
  StepRole,
} from "../compiled-saga.ts";
import { compileCondition } from "../condition.ts";
import type { ContractRegistry } from "../contract-registry.ts";
import type { RetryPolicyDefinition, SagaStepDefinition } from "../definition-schema.ts";
import { parseDuration } from "../duration.ts";
import { compileMapping } from "../mapping.ts";
import { SUB_SAGA_SERVICE, SubSagaCommand, SubSagaReply } from "./protocol.ts";

/** The action of a sub-saga step. */
export function compileSubSagaAction(step: SagaStepDefinition): CompiledAction {
  return {
    kind: "saga",
    saga: { name: step.saga.name, version: step.saga.version },
    input: compileMapping(step.input),
  };
}

/**
 * The compensation of a sub-saga step. The engine always asks the child first; `child` is done
 * when the child has compensated, an explicit command runs when the child answers that it
 * completed past its pivot.
 */
function compileSubSagaCompensation(
  step: SagaStepDefinition,
  contracts: ContractRegistry,
  retryPolicy: (authored: RetryPolicyDefinition | undefined) => CompiledRetryPolicy,
  defaultTimeoutMs: number,
): CompiledCompensation | null {
  const compensation = step.compensation;
  if (compensation === undefined) return null;
  if (compensation === "child") {
    return {
      kind: "child",
      command: SubSagaCommand.compensate,
      payload: compileMapping({}),
      success: [SubSagaReply.compensated],
      retry: retryPolicy(undefined),
      timeoutMs: defaultTimeoutMs,
    };
  }
  const service = Object.hasOwn(contracts, compensation.service)
    ? contracts[compensation.service]
    : undefined;
  const commands = service?.commands ?? {};
  const replies = Object.hasOwn(commands, compensation.command)
    ? commands[compensation.command]?.replies
    : undefined;
  return {
    service: compensation.service,
    command: compensation.command,
    payload: compileMapping(compensation.payload),
    success: Object.keys(replies ?? {}).sort(),
    retry: retryPolicy(compensation.retry),
    timeoutMs: compensation.timeout
      ? (parseDuration(compensation.timeout) as number)
      : defaultTimeoutMs,
  };
}

/** A sub-saga step, compiled (the definition is known to be valid). */
export function compileSubSagaStep(
  step: SagaStepDefinition,
  index: number,
  role: StepRole,
  contracts: ContractRegistry,
  retryPolicy: (authored: RetryPolicyDefinition | undefined) => CompiledRetryPolicy,
  defaultCompensationTimeoutMs: number,
): CompiledStep {
  return {
    name: step.name,
    index,
    description: step.description ?? null,
    service: SUB_SAGA_SERVICE,
    role,
    action: compileSubSagaAction(step),
    outcomes: {
      success: [SubSagaReply.completed],
      businessFailure: [SubSagaReply.compensated, SubSagaReply.failed].sort(),
    },
    compensation: compileSubSagaCompensation(
      step,
      contracts,
      retryPolicy,
      defaultCompensationTimeoutMs,
    ),
    retry: { ...ONE_ATTEMPT, nonRetryable: [] },
    timeoutMs: parseDuration(step.deadline) as number,
    ...(step.when ? { when: compileCondition(step.when) } : {}),
  };
}
