// The compiled form of a saga: plain, serialisable data that the engine's `transition` function
// runs. Every default is applied, durations are milliseconds, mappings are pre-parsed, and the
// state machine (forward path, failure edges, compensation chain) is explicit, so the engine never
// re-derives anything from the authored file.
import type { CompiledCondition } from "./condition.ts";
import type { MappingExpr } from "./mapping.ts";

/** Identifies the compiled format, so a stored compiled saga says how to read it. */
export const COMPILED_SAGA_FORMAT = "sagaworks.compiled-saga/v1";

/** A retry policy with defaults applied. `maxAttempts: null` means retry until success. */
export interface CompiledRetryPolicy {
  maxAttempts: number | null;
  initialDelayMs: number;
  backoffRate: number;
  maxDelayMs: number;
  jitter: "full" | "none";
  /** Sorted; failures that end the step at once. */
  nonRetryable: string[];
}

/** What a step does: send a command over SQS, call an HTTP endpoint, or wait for an event. */
export type CompiledAction =
  | {
      kind: "await";
      /** A path: its value is the correlation key the wait opens on. */
      correlation: MappingExpr;
      /** What the deadline (the step's `timeoutMs`) does: compensate, or park the saga. */
      onDeadline: "compensate" | "needs-intervention";
    }
  | { kind: "command"; command: string; payload: MappingExpr }
  | {
      kind: "saga";
      /** The child saga, started through the orchestrator's saga-commands queue. */
      saga: { name: string; version: number };
      input: MappingExpr;
    }
  | {
      kind: "http";
      method: string;
      path: string;
      params: MappingExpr | null;
      query: MappingExpr | null;
      body: MappingExpr | null;
    };

/** A step's compensation with defaults applied; any reply of its command completes it. */
export interface CompiledCompensation {
  /**
   * `child` (a sub-saga step only): ask the child saga to compensate itself. Absent for a
   * command to a service, so definitions written before sub-sagas keep their content hash.
   */
  kind?: "child";
  /**
   * The service that runs `command`, when it is not the step's own: a sub-saga step's explicit
   * compensation names one. Absent otherwise (same hash as before).
   */
  service?: string;
  command: string;
  payload: MappingExpr;
  /**
   * Replies that mean the compensation is done: the replies the contract declares for the
   * compensating command, sorted. Any other reply (a participant's `CommandFailed`) is a failed
   * attempt, retried under `retry` and then handed to an operator.
   */
  success: string[];
  retry: CompiledRetryPolicy;
  timeoutMs: number;
}

/**
 * A step's place in the saga: `read-only` and `compensatable` steps come before the pivot, the
 * `pivot` is the go/no-go step, and `retriable` steps come after it and are retried until success.
 */
export type StepRole = "read-only" | "compensatable" | "pivot" | "retriable";

/** One step of the forward path. */
export interface CompiledStep {
  name: string;
  index: number;
  description: string | null;
  service: string;
  role: StepRole;
  action: CompiledAction;
  /** Reply names (commands), status codes as strings (HTTP) or event names (await); sorted. */
  outcomes: { success: string[]; businessFailure: string[] };
  compensation: CompiledCompensation | null;
  retry: CompiledRetryPolicy;
  /** Timeout of one attempt; an await step's deadline. */
  timeoutMs: number;
  /**
   * The step runs only when this holds, evaluated once when it is reached. Absent (not null)
   * for an unconditional step, so a definition without conditions keeps its content hash.
   */
  when?: CompiledCondition;
  /**
   * The parallel group and branch the step runs in. Absent (not null) for a step outside any
   * group, so a definition without groups keeps its content hash.
   */
  branch?: { group: string; branch: string };
}

/** A parallel group: its branches, each the names of its steps in order. */
export interface CompiledGroup {
  name: string;
  description: string | null;
  branches: Array<{ name: string; steps: string[] }>;
}

/** Names of the states that end (or park) a saga. */
export const FINAL_STATES = {
  completed: "completed",
  compensated: "compensated",
  failed: "failed",
  needsIntervention: "needs-intervention",
} as const;
/** A final state's name. */
export type FinalState = (typeof FINAL_STATES)[keyof typeof FINAL_STATES];

/**
 * A state of the machine. A `step` state goes to:
 * - `onSuccess` on a success outcome;
 * - `onFailure` when the step certainly did not apply: a business-failure outcome or a
 *   non-retryable failure. Compensation starts from the nearest earlier compensatable step.
 * - `onExhausted` when the outcome is unknown: retries exhausted (the last attempt may have
 *   applied late) or the saga timeout fired while the step was in flight. Compensation then starts
 *   from this step itself when it has one; its compensation leaves a guard that refuses the late
 *   action, so compensating an action that never ran is safe. An exhausted pivot (or a step after
 *   it) goes to `needs-intervention`: its effect cannot be undone and may still happen.
 * - `onNotTaken` (conditional steps only) when its condition is false: the step is not taken,
 *   the saga goes on as after a success, and the step is never compensated.
 * A `compensation` state goes to `onSuccess` once its command replied, and to `onExhausted` when
 * its retries run out (the saga then needs an operator).
 */
export type CompiledState =
  | {
      type: "step";
      step: string;
      onSuccess: string;
      onFailure: string;
      onExhausted: string;
      /** Where a conditional step goes when its condition is false; only on conditional steps. */
      onNotTaken?: string;
    }
  | { type: "compensation"; step: string; onSuccess: string; onExhausted: string }
  | {
      /**
       * Starts every branch of a group in one transition; the saga stays here while they run.
       * `unwind` is where a branch that ran to its end starts compensating when a step after the
       * group fails: the compensation of its last compensatable step, or the group's unwind state.
       */
      type: "fork";
      group: string;
      branches: Array<{ name: string; start: string; unwind: string }>;
    }
  | {
      /** Where each branch goes at its end; once every branch has arrived, `onSuccess`. */
      type: "join";
      group: string;
      onSuccess: string;
    }
  | {
      /**
       * Entered from outside the group (a later step failed): every branch compensates from its
       * `unwind` entry. Entered at a branch's compensation end: that branch is done. Once every
       * branch is, `onSuccess` (the steps before the group); a branch whose compensation was
       * exhausted waits there for an operator, and the saga then needs one.
       */
      type: "unwind";
      group: string;
      onSuccess: string;
    }
  | { type: "final"; outcome: FinalState };

/** A compiled saga: the only form the engine runs, pinned by name, version and hash. */
export interface CompiledSaga {
  format: typeof COMPILED_SAGA_FORMAT;
  name: string;
  version: number;
  description: string;
  /** "sha256:<hex>" of the canonical JSON of everything else in this object. */
  hash: string;
  /** JSON Schema of the input. */
  input: Record<string, unknown>;
  timeoutMs: number | null;
  /** The go/no-go step; a saga without `pivot: true` pivots on its last step if that step is not compensatable. */
  pivot: string | null;
  initial: string;
  steps: CompiledStep[];
  /**
   * Every state by id: `step:<name>`, `compensate:<name>`, `fork:<group>`, `join:<group>`,
   * `unwind:<group>`, and the final states.
   */
  states: Record<string, CompiledState>;
  /** The parallel groups; absent when there are none (the content hash stays as before). */
  groups?: CompiledGroup[];
  /**
   * What the saga hands to a parent that started it, evaluated at completion, and the JSON
   * Schema a parent's paths are checked against. Absent when not declared (same hash as before).
   */
  output?: { mapping: MappingExpr; schema: Record<string, unknown> };
}

/** The state id of a step's forward state. */
export function stepStateId(step: string): string {
  return `step:${step}`;
}

/** The state id of a step's compensation state. */
export function compensationStateId(step: string): string {
  return `compensate:${step}`;
}

/** The state ids of a parallel group's fork, join and unwind. */
export function groupStateIds(group: string): { fork: string; join: string; unwind: string } {
  return { fork: `fork:${group}`, join: `join:${group}`, unwind: `unwind:${group}` };
}

/** Every state a state can go to next: the edges of the machine. */
export function stateTargets(state: CompiledState): string[] {
  switch (state.type) {
    case "step":
      return [
        state.onSuccess,
        state.onFailure,
        state.onExhausted,
        ...(state.onNotTaken ? [state.onNotTaken] : []),
      ];
    case "compensation":
      return [state.onSuccess, state.onExhausted];
    case "fork":
      return state.branches.flatMap((branch) => [branch.start, branch.unwind]);
    case "join":
    case "unwind":
      return [state.onSuccess];
    case "final":
      return [];
  }
}
