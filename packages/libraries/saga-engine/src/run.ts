// One application of an event to a saga instance: the working copy of its snapshot, the effects
// gathered, and the saga semantics for starting steps, success, failure and compensation. Answers
// (replies, HTTP, timeouts), retries, the deadline and operator actions live in their own
// modules and act on a Run.
import {
  buildMappingContext,
  type CompiledSaga,
  type CompiledState,
  type CompiledStep,
  compensationStateId,
  describeCompared,
  describeCondition,
  evaluateCondition,
  evaluateMapping,
  type JsonValue,
  type MappingContext,
  stepStateId,
} from "@sagaworks/saga-definition";
import { chainAfter } from "./chain.ts";
import { commandMessageId } from "./command-id.ts";
import { EngineErrorCode, EngineErrors, type EngineRefusalCode } from "./errors.ts";
import { dotSegmentPathParam, fillPath, unencodablePathParam } from "./http-path.ts";
import { actionKey, compensationKey, deadlineTimerId, isTerminal, timerId } from "./keys.ts";
import {
  activeWork,
  type Effect,
  type FailureInfo,
  LifecycleEvent,
  type PendingWork,
  type SagaSnapshot,
  SagaStatus,
  type StepRecord,
  type TransitionContext,
  type TransitionResult,
} from "./model.ts";
import { toJson } from "./replies.ts";
import { copyJson } from "./snapshot-copy.ts";

type GroupState<K extends "fork" | "join" | "unwind"> = Extract<CompiledState, { type: K }>;

/**
 * What a run needs of the step kinds and rules that live in modules of their own (waits,
 * parallel groups, retries, the deadline). Those modules import this one and are called by it
 * only through these hooks, which `transition.ts` wires: imports run one way, as the event
 * handlers never call back into a module that imports them.
 */
export interface RunHooks {
  openWait(run: Run, step: CompiledStep, attempt: number, attemptBase: number): void;
  branchSteps(run: Run, step: string): readonly string[] | null;
  forkEntered(run: Run, id: string, state: GroupState<"fork">): void;
  joinReached(run: Run, state: GroupState<"join">): void;
  unwindReached(run: Run, id: string, state: GroupState<"unwind">): void;
  branchFailed(run: Run, step: CompiledStep, edge: string): void;
  branchCompensationExhausted(run: Run, step: CompiledStep): void;
  failAttempt(
    run: Run,
    step: CompiledStep,
    compensation: boolean,
    code: string,
    message: string,
  ): TransitionResult;
  rearmDeadline(run: Run): void;
  /** The command that starts a sub-saga step's child, or (compensation) undoes what it did. */
  childCommand(
    run: Run,
    step: CompiledStep,
    action: Extract<CompiledStep["action"], { kind: "saga" }>,
    compensation: boolean,
    attempt: number,
    messageId: string,
  ): Effect;
  /** A saga started by a parent answers it when it ends. */
  answerParent(run: Run): void;
}

/** How long a step and the chain's steps after it may take together. */
function chainTimeout(run: Run, step: string, rest: readonly string[]): number {
  return [step, ...rest].reduce((sum, name) => sum + run.step(name).timeoutMs, 0);
}

/** One application of an event: a working copy of the snapshot plus the effects gathered. */
export class Run {
  readonly effects: Effect[] = [];
  readonly s: SagaSnapshot;
  readonly compiled: CompiledSaga;
  readonly context: TransitionContext;
  private readonly hooks: RunHooks;

  constructor(
    compiled: CompiledSaga,
    snapshot: SagaSnapshot,
    context: TransitionContext,
    hooks: RunHooks,
  ) {
    this.compiled = compiled;
    this.context = context;
    this.hooks = hooks;
    this.s = copyJson(snapshot);
  }

  /**
   * Parallel groups whose branches are being started or stopped in this transition: their join
   * and unwind wait until every branch has been dealt with (see parallel.ts).
   */
  readonly settling = new Set<string>();

  /**
   * Set while a chain's answer is applied: the step whose command its participant already sent,
   * and the chain's steps after it. `startAttempt` then sends nothing for that step.
   */
  forwarded: { step: string; rest: string[] } | null = null;

  /** What happened on the way besides the event itself (steps not taken), for the note. */
  private readonly asides: string[] = [];

  /** Adds what else happened in this transition to its history note. */
  aside(text: string): void {
    this.asides.push(text);
  }

  done(note: string): TransitionResult {
    this.s.seq += 1;
    this.s.updatedAt = this.context.now.toISOString();
    const full = [note, ...this.asides].join("; ");
    return { snapshot: this.s, effects: this.effects, applied: true, note: full };
  }

  // ignore and refuse run before anything is mutated, so the working copy still equals the
  // caller's snapshot: nothing about a stale event or a refused action is written.
  ignore(note: string): TransitionResult {
    return { snapshot: this.s, effects: [], applied: false, note };
  }

  refuse(code: EngineRefusalCode, message: string): TransitionResult {
    return {
      snapshot: this.s,
      effects: [],
      applied: false,
      refused: { code, message },
      note: message,
    };
  }

  step(name: string): CompiledStep {
    const step = this.compiled.steps.find((candidate) => candidate.name === name);
    if (!step) {
      throw EngineErrors.create(
        EngineErrorCode.unknownStep,
        `Saga ${this.compiled.name} has no step "${name}".`,
        {
          step: name,
        },
      );
    }
    return step;
  }

  record(name: string): StepRecord {
    const record = this.s.steps[name];
    if (!record) {
      throw EngineErrors.create(
        EngineErrorCode.unknownStep,
        `The snapshot has no record of step "${name}".`,
        {
          step: name,
        },
      );
    }
    return record;
  }

  state(id: string): CompiledState {
    const state = this.compiled.states[id];
    if (!state) {
      throw EngineErrors.create(
        EngineErrorCode.unknownState,
        `Saga ${this.compiled.name} has no state "${id}".`,
        {
          state: id,
        },
      );
    }
    return state;
  }

  publish(name: LifecycleEvent, step: string | null, detail: Record<string, JsonValue> = {}): void {
    this.effects.push({
      type: "publish-event",
      name,
      step,
      detail: { sagaId: this.s.sagaId, status: this.s.status, ...detail },
    });
  }

  /** The work the saga waits on, or null. */
  pendingWork(): PendingWork | null {
    return activeWork(this.s);
  }

  /**
   * Sets what the saga waits on for a step. Steps on the forward line run one at a time, so it
   * replaces any other work; a step in a parallel branch replaces only its branch's work.
   */
  setPending(work: PendingWork | null): void {
    if (!work) {
      this.s.pending = {};
      return;
    }
    const branch = this.hooks.branchSteps(this, work.step);
    if (!branch) {
      this.s.pending = { [work.step]: work };
      return;
    }
    for (const step of branch) delete this.s.pending[step];
    this.s.pending[work.step] = work;
  }

  /** Stops waiting on a step: its branch's work in a parallel group, all work otherwise. */
  dropPending(step: string): void {
    const branch = this.hooks.branchSteps(this, step);
    if (!branch) this.s.pending = {};
    else for (const name of branch) delete this.s.pending[name];
  }

  /** The mapping context: what payloads, paths and bodies can refer to. */
  mappingContext(): MappingContext {
    return buildMappingContext({
      input: this.s.input,
      sagaId: this.s.sagaId,
      steps: this.compiled.steps,
      outputOf: (step) => this.s.steps[step]?.output ?? null,
      failure: this.s.failure,
    });
  }

  /** Moves to a state and starts what it needs: a step, a compensation, or the end. */
  enterState(id: string): void {
    const state = this.state(id);
    if (state.type === "fork" || state.type === "join" || state.type === "unwind") {
      this.enterGroupState(id, state);
      return;
    }
    // Inside a parallel group the saga stays in the group's state; its branches move on their own.
    const inBranch =
      (state.type === "step" || state.type === "compensation") && this.step(state.step).branch;
    if (!inBranch) this.s.state = id;
    if (state.type === "step") {
      this.s.status = SagaStatus.running;
      const step = this.step(state.step);
      // Evaluated here, once, when the step is reached: a retry of the step restarts an attempt
      // and never comes back through this state, so it never re-evaluates the condition.
      if (step.when) {
        const verdict = evaluateCondition(step.when, this.mappingContext(), (name) => {
          const status = this.s.steps[name]?.status;
          return status === "succeeded" || status === "skipped";
        });
        if (!verdict.holds) {
          this.record(step.name).status = "not-taken";
          const values = describeCompared(verdict.compared);
          this.asides.push(
            `${step.name} not taken: ${describeCondition(step.when)} is false${values ? ` (${values})` : ""}`,
          );
          this.publish(LifecycleEvent.stepNotTaken, step.name, {
            condition: describeCondition(step.when),
            compared: verdict.compared as unknown as JsonValue,
          });
          this.enterState(state.onNotTaken ?? state.onSuccess);
          return;
        }
      }
      this.startAttempt(state.step, false, 1, 0);
      return;
    }
    if (state.type === "compensation") {
      const record = this.record(state.step);
      // At most once: a step already compensated, never started or not taken is passed over.
      if (
        record.status === "compensated" ||
        record.status === "pending" ||
        record.status === "not-taken"
      ) {
        this.enterState(state.onSuccess);
        return;
      }
      this.s.status = SagaStatus.compensating;
      this.startAttempt(state.step, true, 1, 0);
      return;
    }
    this.finish(state.outcome);
  }

  private enterGroupState(
    id: string,
    state: Extract<CompiledState, { type: "fork" | "join" | "unwind" }>,
  ): void {
    if (state.type === "fork") this.hooks.forkEntered(this, id, state);
    else if (state.type === "join") this.hooks.joinReached(this, state);
    else this.hooks.unwindReached(this, id, state);
  }

  finish(outcome: string): void {
    const status =
      outcome === "completed"
        ? SagaStatus.completed
        : outcome === "compensated"
          ? SagaStatus.compensated
          : outcome === "failed"
            ? SagaStatus.failed
            : SagaStatus.needsIntervention;
    this.s.status = status;
    if (status === SagaStatus.needsIntervention) {
      // Kept (not cleared) so that an operator's retry knows what to run again; no timer is
      // armed for it: the saga is parked until someone acts.
      const parked = this.pendingWork();
      if (parked) this.setPending({ ...parked, timerId: "" });
      // The deadline timer stays armed; if it fires while the saga is parked it is ignored, and
      // an operator's retry or skip arms it again (see `rearmDeadline`).
      this.publish(LifecycleEvent.needsIntervention, this.pendingWork()?.step ?? null, {
        failure: this.failureJson(),
      });
      return;
    }
    this.setPending(null);
    if (this.s.deadlineAt)
      this.effects.push({ type: "cancel-timer", timerId: deadlineTimerId(this.s.sagaId) });
    const name =
      status === SagaStatus.completed
        ? LifecycleEvent.completed
        : status === SagaStatus.compensated
          ? LifecycleEvent.compensated
          : LifecycleEvent.failed;
    this.publish(name, null, { failure: this.failureJson() });
    this.effects.push({ type: "finish", status });
    this.hooks.answerParent(this);
  }

  rearmDeadline(): void {
    this.hooks.rearmDeadline(this);
  }

  failureJson(): JsonValue {
    return this.s.failure ? { ...this.s.failure } : null;
  }

  /** Sends attempt `attempt` of a step or its compensation, and arms its timeout. */
  startAttempt(
    stepName: string,
    compensation: boolean,
    attempt: number,
    attemptBase: number,
  ): void {
    const step = this.step(stepName);
    if (!compensation && step.action.kind === "await") {
      this.hooks.openWait(this, step, attempt, attemptBase);
      return;
    }
    const record = this.record(stepName);
    const context = this.mappingContext();
    const idempotencyKey = compensation
      ? compensationKey(this.s.sagaId, stepName)
      : actionKey(this.s.sagaId, stepName);
    let timeoutMs: number;
    let commandId: string | undefined;
    let chained: string[] = [];
    if (compensation) {
      const comp = step.compensation;
      if (!comp) {
        throw EngineErrors.create(
          EngineErrorCode.unknownState,
          `Step "${stepName}" has no compensation.`,
          {
            step: stepName,
          },
        );
      }
      // Read before the status changes: "succeeded" is how snapshots written before
      // `actionConfirmed` existed say the same.
      const actionApplied = record.actionConfirmed === true || record.status === "succeeded";
      record.status = "compensating";
      record.compensationAttempts = attempt;
      if (actionApplied) record.actionConfirmed = true;
      // Asking a child to compensate waits as long as the child may run (the step's deadline):
      // past its pivot, it answers only when it ends.
      timeoutMs =
        step.action.kind === "saga" && record.childEnded !== true ? step.timeoutMs : comp.timeoutMs;
      commandId = commandMessageId(this.s.sagaId, idempotencyKey, attempt);
      if (step.action.kind === "saga") {
        this.effects.push(
          this.hooks.childCommand(this, step, step.action, true, attempt, commandId),
        );
      } else
        this.effects.push({
          type: "send-command",
          service: step.service,
          command: comp.command,
          payload: toJson(evaluateMapping(comp.payload, context)),
          step: stepName,
          attempt,
          compensation: true,
          idempotencyKey,
          messageId: commandId,
          actionApplied,
        });
    } else {
      record.status = "running";
      record.attempts = attempt;
      timeoutMs = step.timeoutMs;
      const action = step.action;
      if (action.kind === "await") return;
      if (action.kind === "saga") {
        commandId = commandMessageId(this.s.sagaId, idempotencyKey, attempt);
        this.effects.push(this.hooks.childCommand(this, step, action, false, attempt, commandId));
      } else if (action.kind === "command") {
        commandId = commandMessageId(this.s.sagaId, idempotencyKey, attempt);
        const forwarded = this.forwarded;
        this.forwarded = null;
        if (forwarded?.step === stepName && attempt === 1) {
          // Its participant's predecessor sent it: only the wait is recorded.
          chained = forwarded.rest;
          timeoutMs = chainTimeout(this, stepName, forwarded.rest);
        } else {
          const payload = toJson(evaluateMapping(action.payload, context));
          const chain = this.context.chainSteps
            ? chainAfter(this.compiled, step, this.s.sagaId, context, {
                maxBytes: this.context.chainMaxBytes,
                firstPayload: payload,
              })
            : null;
          if (chain) {
            chained = chain.links.map((link) => link.step);
            timeoutMs = chain.timeoutMs;
          }
          this.effects.push({
            type: "send-command",
            service: step.service,
            command: action.command,
            payload,
            step: stepName,
            attempt,
            compensation: false,
            idempotencyKey,
            messageId: commandId,
            ...(chain ? { chain: chain.links } : {}),
          });
        }
      } else {
        const params = (action.params ? evaluateMapping(action.params, context) : {}) ?? {};
        const unencodable = unencodablePathParam(action.path, params as Record<string, unknown>);
        if (unencodable !== undefined) {
          // encodeURIComponent throws on a lone surrogate; such a value can never be sent, so
          // the step fails (non-retryable) with a message that names the parameter.
          this.dropPending(stepName);
          this.stepFailed(
            step,
            "non-retryable",
            "HTTP_PATH_PARAM_INVALID",
            `path parameter "${unencodable}" of ${action.method} ${action.path} is not well-formed Unicode text (it holds a lone surrogate), so it cannot be put in a URL`,
          );
          return;
        }
        const dots = dotSegmentPathParam(action.path, params as Record<string, unknown>);
        if (dots !== undefined) {
          this.dropPending(stepName);
          this.stepFailed(
            step,
            "non-retryable",
            "HTTP_PATH_PARAM_INVALID",
            `path parameter "${dots}" of ${action.method} ${action.path} is "${String((params as Record<string, unknown>)[dots])}", which a URL treats as navigation (the call would reach another resource), so it is refused`,
          );
          return;
        }
        this.effects.push({
          type: "call-http",
          service: step.service,
          method: action.method,
          path: fillPath(action.path, (params ?? {}) as Record<string, unknown>),
          query: action.query ? toJson(evaluateMapping(action.query, context)) : null,
          body: action.body ? toJson(evaluateMapping(action.body, context)) : null,
          step: stepName,
          attempt,
          idempotencyKey,
          timeoutMs,
        });
      }
    }
    const timeoutTimer = timerId(this.s.sagaId, "timeout", stepName, attempt, compensation);
    this.effects.push({
      type: "schedule-timer",
      timerId: timeoutTimer,
      fireAt: new Date(this.context.now.getTime() + timeoutMs).toISOString(),
      event: { type: "step-timeout", step: stepName, attempt, compensation },
    });
    this.setPending({
      step: stepName,
      compensation,
      attempt,
      attemptBase,
      waitingFor: "reply",
      timerId: timeoutTimer,
      idempotencyKey,
      ...(commandId === undefined ? {} : { commandId }),
      ...(chained.length > 0 ? { chain: chained } : {}),
    });
  }

  /** Whether an answer is for exactly what the saga waits on. */
  awaits(step: string, attempt: number, compensation: boolean): PendingWork | undefined {
    // By step: in a parallel group each branch step has its own work, and answers to it.
    const pending = Object.hasOwn(this.s.pending, step) ? this.s.pending[step] : undefined;
    if (isTerminal(this.s.status) || this.s.status === SagaStatus.needsIntervention)
      return undefined;
    if (pending?.waitingFor !== "reply") return undefined;
    if (
      pending.step !== step ||
      pending.attempt !== attempt ||
      pending.compensation !== compensation
    ) {
      return undefined;
    }
    return pending;
  }

  staleNote(kind: string, step: string, attempt: number, compensation: boolean): string {
    const what = `${kind} for ${compensation ? "the compensation of " : ""}${step} attempt ${attempt}`;
    if (isTerminal(this.s.status)) return `${what} ignored: the saga is ${this.s.status}`;
    const pending = Object.hasOwn(this.s.pending, step) ? this.s.pending[step] : this.pendingWork();
    if (!pending) return `${what} ignored: the saga waits on nothing`;
    const waiting = `${pending.compensation ? "the compensation of " : ""}${pending.step} attempt ${pending.attempt} (${pending.waitingFor})`;
    return `${what} ignored (late or duplicate): the saga waits on ${waiting}`;
  }

  /** Cancels the timer of the work on `step` (of the one piece of work when no step is named). */
  cancelPendingTimer(step?: string): void {
    const work =
      step === undefined
        ? this.pendingWork()
        : Object.hasOwn(this.s.pending, step)
          ? this.s.pending[step]
          : undefined;
    const timer = work?.timerId;
    if (timer) this.effects.push({ type: "cancel-timer", timerId: timer });
  }

  stepState(name: string): Extract<CompiledState, { type: "step" }> {
    const state = this.state(stepStateId(name));
    if (state.type !== "step")
      throw EngineErrors.create(EngineErrorCode.unknownState, `No step state for ${name}.`, {});
    return state;
  }

  compensationState(name: string): Extract<CompiledState, { type: "compensation" }> {
    const state = this.state(compensationStateId(name));
    if (state.type !== "compensation") {
      throw EngineErrors.create(
        EngineErrorCode.unknownState,
        `No compensation state for ${name}.`,
        {},
      );
    }
    return state;
  }

  stepSucceeded(step: CompiledStep, output: JsonValue, note: string): TransitionResult {
    this.cancelPendingTimer(step.name);
    const record = this.record(step.name);
    record.status = "succeeded";
    record.output = output;
    record.lastError = null;
    record.actionConfirmed = true;
    if (step.role === "pivot") this.s.pivotPassed = true;
    this.publish(LifecycleEvent.stepCompleted, step.name, { attempt: record.attempts });
    this.enterState(this.stepState(step.name).onSuccess);
    return this.done(note);
  }

  stepFailed(
    step: CompiledStep,
    kind: FailureInfo["kind"],
    code: string,
    message: string,
  ): TransitionResult {
    this.cancelPendingTimer(step.name);
    const record = this.record(step.name);
    record.status = "failed";
    record.lastError = { code, message };
    this.s.failure = { step: step.name, kind, code, message };
    this.publish(LifecycleEvent.stepFailed, step.name, { failure: this.failureJson() });
    this.enterFailureEdge(step, this.stepState(step.name).onFailure);
    return this.done(`${step.name} failed: ${code} (${kind})`);
  }

  /**
   * Takes a failed step's failure or exhausted edge. In a parallel branch the siblings are
   * stopped first and every branch is undone (see parallel.ts).
   */
  enterFailureEdge(step: CompiledStep, edge: string): void {
    if (step.branch) this.hooks.branchFailed(this, step, edge);
    else this.enterState(edge);
  }

  /**
   * The edge a forward step takes when its outcome is unknown (attempts exhausted, the saga's
   * deadline): the exhausted edge of the last step that may have run, the chain's last when a
   * chain rode along (which parks the saga when that is the pivot or a step after it).
   */
  exhaustedEdge(step: CompiledStep, pending: PendingWork | undefined): string {
    return this.stepState(this.chainMayHaveRun(step, pending).name).onExhausted;
  }

  /**
   * While a chain rode along with a step, any of the chain's steps may have run too, up to
   * `through` (all of them by default): they count as started, so compensation undoes them (each
   * leaving a guard should it not have run). Answers the last of them (the step itself when no
   * chain rode along).
   */
  chainMayHaveRun(step: CompiledStep, pending: PendingWork | undefined, through?: string) {
    const chain = pending === undefined || pending.compensation ? [] : (pending.chain ?? []);
    const upTo = through === undefined ? chain.length : chain.indexOf(through) + 1;
    let last = step;
    for (const name of chain.slice(0, upTo)) {
      const record = this.record(name);
      if (record.status === "pending") {
        record.status = "running";
        record.attempts = Math.max(record.attempts, 1);
      }
      last = this.step(name);
    }
    return last;
  }

  /** A compensation ran out of attempts: the saga needs an operator (in a branch, once the others finish). */
  compensationExhausted(step: CompiledStep): void {
    if (step.branch) this.hooks.branchCompensationExhausted(this, step);
    else this.enterState(this.compensationState(step.name).onExhausted);
  }

  compensationSucceeded(step: CompiledStep, note: string): TransitionResult {
    const record = this.record(step.name);
    record.status = "compensated";
    record.lastError = null;
    this.publish(LifecycleEvent.stepCompensated, step.name, {
      attempt: record.compensationAttempts,
    });
    this.enterState(this.compensationState(step.name).onSuccess);
    return this.done(note);
  }

  /** A retriable failure of the pending attempt: back off and retry, or take the exhausted edge. */
  attemptFailed(
    step: CompiledStep,
    compensation: boolean,
    code: string,
    message: string,
  ): TransitionResult {
    return this.hooks.failAttempt(this, step, compensation, code, message);
  }
}
