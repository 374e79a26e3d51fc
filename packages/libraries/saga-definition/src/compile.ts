// The compiler: definition (unknown JSON) → validated → `CompiledSaga` with defaults applied.

import { compileAwaitAction, compileAwaitStep } from "./await/compile-await.ts";
import {
  entryState,
  flattenDefinition,
  groupStates,
  type LineItem,
  undoState,
} from "./compile-parallel.ts";
import {
  COMPILED_SAGA_FORMAT,
  type CompiledAction,
  type CompiledCompensation,
  type CompiledGroup,
  type CompiledRetryPolicy,
  type CompiledSaga,
  type CompiledState,
  type CompiledStep,
  compensationStateId,
  FINAL_STATES,
  type StepRole,
  stepStateId,
} from "./compiled-saga.ts";
import { compileCondition } from "./condition.ts";
import { contentHash } from "./content-hash.ts";
import type { ContractRegistry } from "./contract-registry.ts";
import {
  type RetryPolicyDefinition,
  type SagaDefinition,
  type StepDefinition,
  sagaDefinitionSchema,
} from "./definition-schema.ts";
import { parseDuration } from "./duration.ts";
import {
  type Diagnostic,
  DiagnosticCode,
  formatJsonPath,
  type JsonPath,
  type SourcePosition,
  sagaDefinitionError,
} from "./errors.ts";
import { compileMapping } from "./mapping.ts";
import { compileSubSagaAction, compileSubSagaStep } from "./sub-saga/compile-sub-saga.ts";
import type { SagaLookup } from "./sub-saga/saga-catalog.ts";
import {
  analyseDefinition,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_COMPENSATION_TIMEOUT_MS,
  DEFAULT_HTTP_TIMEOUT_MS,
} from "./validate.ts";

/** Options of `compileSaga`. */
export interface CompileOptions {
  /** The services, commands, replies and endpoints definitions are checked against. */
  contracts: ContractRegistry;
  /** File name copied into every diagnostic; the compiler never reads it. */
  file?: string;
  /** Maps a JSON path to its line and column in the source text (the CLI provides it). */
  locate?: (path: JsonPath) => SourcePosition | undefined;
  /**
   * The other sagas a sub-saga step may start (the loader passes those of the same folder,
   * compiled children first). Without it a sub-saga step is reported as naming an unknown saga.
   */
  sagas?: SagaLookup;
}

/** Either the compiled saga, or every problem found. */
export type CompileResult =
  | { ok: true; saga: CompiledSaga; diagnostics: [] }
  | { ok: false; diagnostics: Diagnostic[] };

/** Default retry policy of a step: 3 attempts, 1s doubling up to 5m, full jitter. */
export const DEFAULT_STEP_RETRY: CompiledRetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 1_000,
  backoffRate: 2,
  maxDelayMs: 300_000,
  jitter: "full",
  nonRetryable: [],
};

/** Default retry policy of a compensation: 20 attempts (about an hour), then an operator. */
export const DEFAULT_COMPENSATION_RETRY: CompiledRetryPolicy = {
  ...DEFAULT_STEP_RETRY,
  maxAttempts: 20,
};

function retryPolicy(
  authored: RetryPolicyDefinition | undefined,
  defaults: CompiledRetryPolicy,
): CompiledRetryPolicy {
  const maxAttempts = authored?.maxAttempts ?? defaults.maxAttempts;
  return {
    maxAttempts: maxAttempts === "unlimited" ? null : maxAttempts,
    initialDelayMs: authored?.initialDelay
      ? (parseDuration(authored.initialDelay) as number)
      : defaults.initialDelayMs,
    backoffRate: authored?.backoffRate ?? defaults.backoffRate,
    maxDelayMs: authored?.maxDelay
      ? (parseDuration(authored.maxDelay) as number)
      : defaults.maxDelayMs,
    jitter: authored?.jitter ?? defaults.jitter,
    nonRetryable: [...(authored?.nonRetryable ?? defaults.nonRetryable)].sort(),
  };
}

function stepRole(step: StepDefinition, index: number, pivotIndex: number): StepRole {
  if (pivotIndex >= 0 && index > pivotIndex) return "retriable";
  if (index === pivotIndex) return "pivot";
  // A wait changes nothing, so there is nothing to undo.
  if (step.kind === "await" || (step.kind !== "saga" && step.readOnly === true)) return "read-only";
  return "compensatable";
}

function compileAction(step: StepDefinition): CompiledAction {
  if (step.kind === "await") return compileAwaitAction(step);
  if (step.kind === "saga") return compileSubSagaAction(step);
  if (step.kind === "command") {
    return { kind: "command", command: step.command, payload: compileMapping(step.payload) };
  }
  const { method, path, params, query, body } = step.request;
  return {
    kind: "http",
    method,
    path,
    params: params === undefined ? null : compileMapping(params),
    query: query === undefined ? null : compileMapping(query),
    body: body === undefined ? null : compileMapping(body),
  };
}

function compileCompensation(
  step: StepDefinition,
  contracts: ContractRegistry,
): CompiledCompensation | null {
  if (step.kind === "await" || step.kind === "saga" || !step.compensation) return null;
  const { command, payload, retry, timeout } = step.compensation;
  const service = Object.hasOwn(contracts, step.service) ? contracts[step.service] : undefined;
  const commands = service?.commands ?? {};
  const replies = Object.hasOwn(commands, command) ? commands[command]?.replies : undefined;
  return {
    command,
    payload: compileMapping(payload),
    success: Object.keys(replies ?? {}).sort(),
    retry: retryPolicy(retry, DEFAULT_COMPENSATION_RETRY),
    timeoutMs: timeout ? (parseDuration(timeout) as number) : DEFAULT_COMPENSATION_TIMEOUT_MS,
  };
}

/**
 * The pivot index: the step marked `pivot`, else the last step when it is neither compensatable
 * nor read-only (the last step never needs undoing: nothing after it can fail), else none. A step
 * in a parallel branch is never the pivot: its siblings could still fail after it.
 */
function findPivot(steps: ReadonlyArray<{ step: StepDefinition; branch?: unknown }>): number {
  const explicit = steps.findIndex(({ step }) => step.pivot === true);
  if (explicit >= 0) return explicit;
  const last = steps[steps.length - 1];
  // A wait changes nothing, so it never pivots.
  if (!last || last.branch || last.step.kind === "await") return -1;
  const readOnly = last.step.kind !== "saga" && last.step.readOnly === true;
  return !last.step.compensation && !readOnly ? steps.length - 1 : -1;
}

function compileStep(
  step: StepDefinition,
  index: number,
  pivotIndex: number,
  branch: { group: string; branch: string } | undefined,
  contracts: ContractRegistry,
): CompiledStep {
  if (step.kind === "await") {
    const compiled = compileAwaitStep(step, index, stepRole(step, index, pivotIndex));
    return branch ? { ...compiled, branch } : compiled;
  }
  if (step.kind === "saga") {
    const compiled = compileSubSagaStep(
      step,
      index,
      stepRole(step, index, pivotIndex),
      contracts,
      (authored) => retryPolicy(authored, DEFAULT_COMPENSATION_RETRY),
      DEFAULT_COMPENSATION_TIMEOUT_MS,
    );
    return branch ? { ...compiled, branch } : compiled;
  }
  const defaultTimeout =
    step.kind === "http" ? DEFAULT_HTTP_TIMEOUT_MS : DEFAULT_COMMAND_TIMEOUT_MS;
  return {
    name: step.name,
    index,
    description: step.description ?? null,
    service: step.service,
    role: stepRole(step, index, pivotIndex),
    action: compileAction(step),
    outcomes: {
      success: step.outcomes.success.map(String).sort(),
      businessFailure: (step.outcomes.businessFailure ?? []).map(String).sort(),
    },
    compensation: compileCompensation(step, contracts),
    retry: retryPolicy(step.retry, DEFAULT_STEP_RETRY),
    timeoutMs: step.timeout ? (parseDuration(step.timeout) as number) : defaultTimeout,
    // Only when authored: an absent key keeps the hash of a definition without conditions
    // (and without groups).
    ...(step.when ? { when: compileCondition(step.when) } : {}),
    ...(branch ? { branch } : {}),
  };
}

/** Builds the compiled saga from a definition already known to be valid. */
function build(
  definition: SagaDefinition,
  contracts: ContractRegistry,
  outputSchema: Record<string, unknown> | undefined,
): CompiledSaga {
  const flat = flattenDefinition(definition.steps);
  const pivotIndex = findPivot(flat.steps);
  const steps: CompiledStep[] = flat.steps.map(({ step, branch }, index) =>
    compileStep(step, index, pivotIndex, branch, contracts),
  );

  const states: Record<string, CompiledState> = {};
  const groups: CompiledGroup[] = [];
  // Where a failure at line entry `position` goes: the undoing of the nearest earlier entry that
  // has something to undo (a step's compensation, a group's unwind; the chain then runs
  // backwards), or `failed` when nothing needs undoing. A chain that runs to its end reaches
  // `compensated`.
  const compensationBefore = (position: number): string => {
    for (let earlier = position - 1; earlier >= 0; earlier--) {
      const undo = undoState(flat.line[earlier] as LineItem, steps);
      if (undo) return undo;
    }
    return FINAL_STATES.failed;
  };
  flat.line.forEach((item, position) => {
    const next = entryState(flat.line[position + 1], steps);
    if (item.kind === "group") {
      const built = groupStates(item, steps, next, compensationBefore(position));
      Object.assign(states, built.states);
      groups.push(built.group);
      return;
    }
    const step = steps[item.index] as CompiledStep;
    states[stepStateId(step.name)] = {
      type: "step",
      step: step.name,
      onSuccess: next,
      onFailure:
        step.role === "retriable" ? FINAL_STATES.needsIntervention : compensationBefore(position),
      // An exhausted pivot has an unknown outcome (it may still apply late) and nothing can undo
      // it, so compensating the earlier steps could leave its effect orphaned: an operator decides.
      onExhausted:
        step.action.kind === "await"
          ? // An await's deadline: nothing of its own to undo, the author chose what follows.
            step.action.onDeadline === "needs-intervention"
            ? FINAL_STATES.needsIntervention
            : compensationBefore(position)
          : step.role === "retriable" || step.role === "pivot"
            ? FINAL_STATES.needsIntervention
            : step.compensation
              ? compensationStateId(step.name)
              : compensationBefore(position),
      ...(step.when ? { onNotTaken: next } : {}),
    };
    if (step.compensation) {
      const after = compensationBefore(position);
      states[compensationStateId(step.name)] = {
        type: "compensation",
        step: step.name,
        onSuccess: after === FINAL_STATES.failed ? FINAL_STATES.compensated : after,
        onExhausted: FINAL_STATES.needsIntervention,
      };
    }
  });
  for (const outcome of Object.values(FINAL_STATES)) states[outcome] = { type: "final", outcome };

  const withoutHash: Omit<CompiledSaga, "hash"> = {
    format: COMPILED_SAGA_FORMAT,
    name: definition.name,
    version: definition.version,
    description: definition.description,
    input: definition.input as Record<string, unknown>,
    timeoutMs: definition.timeout ? (parseDuration(definition.timeout) as number) : null,
    pivot: pivotIndex >= 0 ? (steps[pivotIndex] as CompiledStep).name : null,
    initial: entryState(flat.line[0], steps),
    steps,
    states,
    // Only when there are groups: an absent key keeps the hash of a definition without them.
    ...(groups.length > 0 ? { groups } : {}),
    // Only when declared: an absent key keeps the hash of a definition without one.
    ...(definition.output
      ? {
          output: {
            mapping: compileMapping(definition.output),
            schema: outputSchema ?? { type: "object" },
          },
        }
      : {}),
  };
  const { format, name, version, description, ...rest } = withoutHash;
  return { format, name, version, description, hash: contentHash(withoutHash), ...rest };
}

function locateAll(diagnostics: Diagnostic[], options: CompileOptions): Diagnostic[] {
  return diagnostics.map((diagnostic) => {
    const located: Diagnostic = { ...diagnostic };
    if (options.file !== undefined) located.file = options.file;
    const position = options.locate?.(diagnostic.path);
    if (position) {
      located.line = position.line;
      located.column = position.column;
    }
    return located;
  });
}

/**
 * Validates a parsed definition (any JSON value) and compiles it. Never throws on bad input:
 * problems come back as diagnostics, each with a code, a fix, and a path.
 */
export function compileSaga(definition: unknown, options: CompileOptions): CompileResult {
  const analysis = analyseDefinition(definition, options.contracts, options.sagas);
  if (analysis.diagnostics.length > 0) {
    return { ok: false, diagnostics: locateAll(analysis.diagnostics, options) };
  }
  const parsed = sagaDefinitionSchema.safeParse(definition);
  if (!parsed.success) {
    // Unreachable when the analyser and the schema agree; kept so the result is always sound.
    return {
      ok: false,
      diagnostics: locateAll(
        parsed.error.issues.map((issue) => ({
          code: DiagnosticCode.fieldInvalid,
          message: issue.message,
          path: issue.path as Array<string | number>,
          pointer: formatJsonPath(issue.path as Array<string | number>),
        })),
        options,
      ),
    };
  }
  const outputSchema = analysis.outputSchema;
  return {
    ok: true,
    saga: build(
      parsed.data,
      options.contracts,
      typeof outputSchema === "object" ? { ...outputSchema } : undefined,
    ),
    diagnostics: [],
  };
}

/** Like `compileSaga`, but throws a `SagaDefinitionError` listing every problem. */
export function compileSagaOrThrow(definition: unknown, options: CompileOptions): CompiledSaga {
  const result = compileSaga(definition, options);
  if (!result.ok) throw sagaDefinitionError(result.diagnostics);
  return result.saga;
}

/** Validates a definition and returns every problem (an empty list means it compiles). */
export function validateSaga(definition: unknown, options: CompileOptions): Diagnostic[] {
  return compileSaga(definition, options).diagnostics;
}
