// The saga semantics, as one pure function. Everything that happens to an instance goes through
// `transition`; the orchestrator only stores what it returns and carries out the effects.
import {
  buildMappingContext,
  type CompiledRetryPolicy,
  type CompiledSaga,
  type CompiledState,
  type CompiledStep,
  compensationStateId,
  evaluateMapping,
  type JsonValue,
  type MappingContext,
  stepStateId,
} from "@sagaworks/saga-definition";
import { backoffDelayMs } from "./backoff.ts";
import { EngineError, EngineErrorCode } from "./errors.ts";
import {
  type Effect,
  type FailureInfo,
  LifecycleEvent,
  type PendingWork,
  type SagaEvent,
  type SagaSnapshot,
  SagaStatus,
  type StepRecord,
  TERMINAL_STATUSES,
  type TransitionContext,
  type TransitionResult,
} from "./model.ts";

/** Idempotency key of a step's action, the same for every attempt. */
export function actionKey(sagaId: string, step: string): string {
  return `${sagaId}:${step}`;
}

/** Idempotency key of a step's compensation, the same for every attempt. */
export function compensationKey(sagaId: string, step: string): string {
  return `${sagaId}:${step}:compensation`;
}

/** Id of the saga's deadline timer. */
export function deadlineTimerId(sagaId: string): string {
  return `${sagaId}:deadline`;
}

const timerId = (sagaId: string, kind: string, step: string, attempt: number, comp: boolean) =>
  `${sagaId}:${kind}:${step}:${attempt}:${comp ? "compensation" : "action"}`;

/** Whether a status never changes again. */
export function isTerminal(status: SagaStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * Applies one event to a saga instance. Pure and deterministic: the same compiled saga, snapshot,
 * event and context always give the same result. `snapshot` is null only for `start`.
 */
export function transition(
  compiled: CompiledSaga,
  snapshot: SagaSnapshot | null,
  event: SagaEvent,
  context: TransitionContext,
): TransitionResult {
  if (event.type === "start") {
    if (snapshot) return ignored(snapshot, "start: the saga has already started");
    return start(compiled, event.sagaId, event.input, context);
  }
  if (!snapshot) {
    throw new EngineError(
      EngineErrorCode.noSnapshot,
      `A ${event.type} event needs the saga's snapshot; only start creates one.`,
      { event: event.type },
    );
  }
  if (snapshot.sagaHash !== compiled.hash) {
    throw new EngineError(
      EngineErrorCode.definitionMismatch,
      `Saga ${snapshot.sagaId} runs on ${snapshot.sagaName} v${snapshot.sagaVersion} (${snapshot.sagaHash}), not ${compiled.hash}. Load the definition the instance started with.`,
      { sagaId: snapshot.sagaId, expected: snapshot.sagaHash, given: compiled.hash },
    );
  }
  const run = new Run(compiled, snapshot, context);
  switch (event.type) {
    case "reply":
      return run.onReply(event);
    case "http-response":
      return run.onHttpResponse(event);
    case "http-failure":
      return run.onHttpFailure(event);
    case "step-timeout":
      return run.onStepTimeout(event);
    case "retry-timer":
      return run.onRetryTimer(event);
    case "saga-deadline":
      return run.onDeadline();
    case "operator":
      return run.onOperator(event);
  }
}

function ignored(snapshot: SagaSnapshot, note: string): TransitionResult {
  return { snapshot, effects: [], applied: false, note };
}

function start(
  compiled: CompiledSaga,
  sagaId: string,
  input: JsonValue,
  context: TransitionContext,
): TransitionResult {
  const now = context.now.toISOString();
  const steps: Record<string, StepRecord> = {};
  for (const step of compiled.steps) {
    steps[step.name] = {
      status: "pending",
      attempts: 0,
      compensationAttempts: 0,
      output: null,
      lastError: null,
    };
  }
  const deadlineAt =
    compiled.timeoutMs === null
      ? null
      : new Date(context.now.getTime() + compiled.timeoutMs).toISOString();
  const snapshot: SagaSnapshot = {
    sagaId,
    sagaName: compiled.name,
    sagaVersion: compiled.version,
    sagaHash: compiled.hash,
    status: SagaStatus.running,
    state: compiled.initial,
    input,
    steps,
    pending: null,
    failure: null,
    pivotPassed: false,
    deadlineAt,
    startedAt: now,
    updatedAt: now,
    seq: 0,
  };
  const run = new Run(compiled, snapshot, context);
  run.publish(LifecycleEvent.started, null, { input });
  if (deadlineAt) {
    run.effects.push({
      type: "schedule-timer",
      timerId: deadlineTimerId(sagaId),
      fireAt: deadlineAt,
      event: { type: "saga-deadline" },
    });
  }
  run.enterState(compiled.initial);
  return run.done("started");
}

/** One application of an event: a working copy of the snapshot plus the effects gathered. */
class Run {
  readonly effects: Effect[] = [];
  private readonly s: SagaSnapshot;
  private readonly compiled: CompiledSaga;
  private readonly context: TransitionContext;

  constructor(compiled: CompiledSaga, snapshot: SagaSnapshot, context: TransitionContext) {
    this.compiled = compiled;
    this.context = context;
    this.s = structuredClone(snapshot);
  }

  done(note: string): TransitionResult {
    this.s.seq += 1;
    this.s.updatedAt = this.context.now.toISOString();
    return { snapshot: this.s, effects: this.effects, applied: true, note };
  }

  // ignore and refuse run before anything is mutated, so the working copy still equals the
  // caller's snapshot: nothing about a stale event or a refused action is written.
  private ignore(note: string): TransitionResult {
    return { snapshot: this.s, effects: [], applied: false, note };
  }

  private refuse(code: string, message: string): TransitionResult {
    return {
      snapshot: this.s,
      effects: [],
      applied: false,
      refused: { code, message },
      note: message,
    };
  }

  private step(name: string): CompiledStep {
    const step = this.compiled.steps.find((candidate) => candidate.name === name);
    if (!step) {
      throw new EngineError(
        EngineErrorCode.unknownStep,
        `Saga ${this.compiled.name} has no step "${name}".`,
        {
          step: name,
        },
      );
    }
    return step;
  }

  private record(name: string): StepRecord {
    const record = this.s.steps[name];
    if (!record) {
      throw new EngineError(
        EngineErrorCode.unknownStep,
        `The snapshot has no record of step "${name}".`,
        {
          step: name,
        },
      );
    }
    return record;
  }

  private state(id: string): CompiledState {
    const state = this.compiled.states[id];
    if (!state) {
      throw new EngineError(
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

  /** The mapping context: what payloads, paths and bodies can refer to. */
  private mappingContext(): MappingContext {
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
    this.s.state = id;
    if (state.type === "step") {
      this.s.status = SagaStatus.running;
      this.startAttempt(state.step, false, 1, 0);
      return;
    }
    if (state.type === "compensation") {
      const record = this.record(state.step);
      // At most once: a step already compensated (or never started) is passed over.
      if (record.status === "compensated" || record.status === "pending") {
        this.enterState(state.onSuccess);
        return;
      }
      this.s.status = SagaStatus.compensating;
      this.startAttempt(state.step, true, 1, 0);
      return;
    }
    this.finish(state.outcome);
  }

  private finish(outcome: string): void {
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
      if (this.s.pending) this.s.pending = { ...this.s.pending, timerId: "" };
      // The deadline timer stays armed; if it fires while the saga is parked it is ignored, and
      // an operator's retry or skip arms it again (see `rearmDeadline`).
      this.publish(LifecycleEvent.needsIntervention, this.s.pending?.step ?? null, {
        failure: this.failureJson(),
      });
      return;
    }
    this.s.pending = null;
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
  }

  /**
   * Arms the deadline again when an operator moves a parked saga on: a deadline that fired while
   * the saga was parked was ignored, so without this the saga would run on with none. A deadline
   * still ahead keeps its time (scheduling a timer id again replaces it); one that passed starts a
   * fresh window of the saga's timeout from now, or it would fire at once and undo what the
   * operator just asked for.
   */
  private rearmDeadline(): void {
    if (this.s.deadlineAt === null || this.compiled.timeoutMs === null) return;
    const now = this.context.now.getTime();
    const fireAt =
      Date.parse(this.s.deadlineAt) > now
        ? this.s.deadlineAt
        : new Date(now + this.compiled.timeoutMs).toISOString();
    this.s.deadlineAt = fireAt;
    this.effects.push({
      type: "schedule-timer",
      timerId: deadlineTimerId(this.s.sagaId),
      fireAt,
      event: { type: "saga-deadline" },
    });
  }

  private failureJson(): JsonValue {
    return this.s.failure ? { ...this.s.failure } : null;
  }

  /** Sends attempt `attempt` of a step or its compensation, and arms its timeout. */
  private startAttempt(
    stepName: string,
    compensation: boolean,
    attempt: number,
    attemptBase: number,
  ): void {
    const step = this.step(stepName);
    const record = this.record(stepName);
    const context = this.mappingContext();
    const idempotencyKey = compensation
      ? compensationKey(this.s.sagaId, stepName)
      : actionKey(this.s.sagaId, stepName);
    let timeoutMs: number;
    if (compensation) {
      const comp = step.compensation;
      if (!comp) {
        throw new EngineError(
          EngineErrorCode.unknownState,
          `Step "${stepName}" has no compensation.`,
          {
            step: stepName,
          },
        );
      }
      record.status = "compensating";
      record.compensationAttempts = attempt;
      timeoutMs = comp.timeoutMs;
      this.effects.push({
        type: "send-command",
        service: step.service,
        command: comp.command,
        payload: toJson(evaluateMapping(comp.payload, context)),
        step: stepName,
        attempt,
        compensation: true,
        idempotencyKey,
      });
    } else {
      record.status = "running";
      record.attempts = attempt;
      timeoutMs = step.timeoutMs;
      const action = step.action;
      if (action.kind === "command") {
        this.effects.push({
          type: "send-command",
          service: step.service,
          command: action.command,
          payload: toJson(evaluateMapping(action.payload, context)),
          step: stepName,
          attempt,
          compensation: false,
          idempotencyKey,
        });
      } else {
        const params = (action.params ? evaluateMapping(action.params, context) : {}) ?? {};
        const unencodable = unencodablePathParam(action.path, params as Record<string, unknown>);
        if (unencodable !== undefined) {
          // encodeURIComponent throws on a lone surrogate; such a value can never be sent, so
          // the step fails (non-retryable) with a message that names the parameter.
          this.s.pending = null;
          this.stepFailed(
            step,
            "non-retryable",
            "HTTP_PATH_PARAM_INVALID",
            `path parameter "${unencodable}" of ${action.method} ${action.path} is not well-formed Unicode text (it holds a lone surrogate), so it cannot be put in a URL`,
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
    this.s.pending = {
      step: stepName,
      compensation,
      attempt,
      attemptBase,
      waitingFor: "reply",
      timerId: timeoutTimer,
      idempotencyKey,
    };
  }

  /** Whether an answer is for exactly what the saga waits on. */
  private awaits(step: string, attempt: number, compensation: boolean): PendingWork | undefined {
    const pending = this.s.pending;
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

  private staleNote(kind: string, step: string, attempt: number, compensation: boolean): string {
    const what = `${kind} for ${compensation ? "the compensation of " : ""}${step} attempt ${attempt}`;
    if (isTerminal(this.s.status)) return `${what} ignored: the saga is ${this.s.status}`;
    const pending = this.s.pending;
    if (!pending) return `${what} ignored: the saga waits on nothing`;
    const waiting = `${pending.compensation ? "the compensation of " : ""}${pending.step} attempt ${pending.attempt} (${pending.waitingFor})`;
    return `${what} ignored (late or duplicate): the saga waits on ${waiting}`;
  }

  private cancelPendingTimer(): void {
    if (this.s.pending?.timerId)
      this.effects.push({ type: "cancel-timer", timerId: this.s.pending.timerId });
  }

  onReply(event: Extract<SagaEvent, { type: "reply" }>): TransitionResult {
    const pending = this.awaits(event.step, event.attempt, event.compensation);
    if (!pending)
      return this.ignore(
        this.staleNote(`reply ${event.name}`, event.step, event.attempt, event.compensation),
      );
    const step = this.step(event.step);
    if (event.compensation) {
      // Only a reply the compensating command declares completes it. Anything else (a
      // participant's `failed(code)`, an unexpected error turned into a reply) means the effect
      // was not undone: the attempt failed, and is retried, then handed to an operator.
      if (compensationDone(step, event.name)) {
        this.cancelPendingTimer();
        return this.compensationSucceeded(
          step,
          `compensation of ${step.name} done (${event.name})`,
        );
      }
      return this.attemptFailed(
        step,
        true,
        replyCode(event.name, event.payload),
        messageOf(event.payload, `unexpected reply ${event.name}`),
      );
    }
    if (step.outcomes.success.includes(event.name)) {
      return this.stepSucceeded(step, event.payload, `${step.name} succeeded (${event.name})`);
    }
    const code = replyCode(event.name, event.payload);
    if (step.outcomes.businessFailure.includes(event.name)) {
      return this.stepFailed(
        step,
        "business-failure",
        event.name,
        messageOf(event.payload, event.name),
      );
    }
    if (step.retry.nonRetryable.includes(event.name) || step.retry.nonRetryable.includes(code)) {
      return this.stepFailed(step, "non-retryable", code, messageOf(event.payload, event.name));
    }
    // The participant's own code and message, when the reply carries them (`failed(code, message)`).
    return this.attemptFailed(
      step,
      false,
      code,
      messageOf(event.payload, `unexpected reply ${event.name}`),
    );
  }

  onHttpResponse(event: Extract<SagaEvent, { type: "http-response" }>): TransitionResult {
    const pending = this.awaits(event.step, event.attempt, false);
    if (!pending)
      return this.ignore(this.staleNote(`HTTP ${event.status}`, event.step, event.attempt, false));
    const step = this.step(event.step);
    const status = String(event.status);
    if (step.outcomes.success.includes(status)) {
      return this.stepSucceeded(
        step,
        { status: event.status, body: event.body },
        `${step.name} answered ${status}`,
      );
    }
    const message = messageOf(event.body, `HTTP ${status}`);
    if (step.outcomes.businessFailure.includes(status)) {
      return this.stepFailed(step, "business-failure", `HTTP_${status}`, message);
    }
    // A 4xx the definition does not map means the request itself is wrong: retrying cannot help.
    if (event.status >= 400 && event.status < 500) {
      return this.stepFailed(step, "non-retryable", `HTTP_${status}`, message);
    }
    return this.attemptFailed(step, false, `HTTP_${status}`, message);
  }

  onHttpFailure(event: Extract<SagaEvent, { type: "http-failure" }>): TransitionResult {
    const pending = this.awaits(event.step, event.attempt, false);
    if (!pending)
      return this.ignore(
        this.staleNote(`HTTP failure ${event.code}`, event.step, event.attempt, false),
      );
    return this.attemptFailed(this.step(event.step), false, event.code, event.message);
  }

  onStepTimeout(event: Extract<SagaEvent, { type: "step-timeout" }>): TransitionResult {
    const pending = this.awaits(event.step, event.attempt, event.compensation);
    if (!pending)
      return this.ignore(this.staleNote("timeout", event.step, event.attempt, event.compensation));
    // The timer fired, so it needs no cancelling.
    this.s.pending = { ...pending, timerId: "" };
    const step = this.step(event.step);
    const timeoutMs = event.compensation ? (step.compensation?.timeoutMs ?? 0) : step.timeoutMs;
    return this.attemptFailed(
      step,
      event.compensation,
      "STEP_TIMEOUT",
      `no answer within ${timeoutMs} ms`,
    );
  }

  onRetryTimer(event: Extract<SagaEvent, { type: "retry-timer" }>): TransitionResult {
    const pending = this.s.pending;
    const live =
      !isTerminal(this.s.status) &&
      this.s.status !== SagaStatus.needsIntervention &&
      pending?.waitingFor === "retry-timer" &&
      pending.step === event.step &&
      pending.compensation === event.compensation &&
      pending.attempt + 1 === event.attempt;
    if (!live || !pending)
      return this.ignore(
        this.staleNote("retry timer", event.step, event.attempt, event.compensation),
      );
    this.startAttempt(event.step, event.compensation, event.attempt, pending.attemptBase);
    return this.done(
      `${event.compensation ? "compensation of " : ""}${event.step} attempt ${event.attempt}`,
    );
  }

  onDeadline(): TransitionResult {
    if (isTerminal(this.s.status) || this.s.status === SagaStatus.needsIntervention) {
      return this.ignore(`saga deadline ignored: the saga is ${this.s.status}`);
    }
    if (this.s.status === SagaStatus.compensating) {
      return this.ignore(
        "saga deadline passed while compensating: compensations run on until they succeed",
      );
    }
    if (this.s.pivotPassed) {
      this.publish(LifecycleEvent.deadlinePassed, this.s.pending?.step ?? null);
      return this.done(
        "saga deadline passed after the pivot: the remaining steps are retried, never compensated",
      );
    }
    const pending = this.s.pending;
    if (!pending) return this.ignore("saga deadline ignored: the saga waits on nothing");
    this.cancelPendingTimer();
    const step = this.step(pending.step);
    this.s.failure = {
      step: step.name,
      kind: "deadline",
      code: "SAGA_DEADLINE",
      message: "the saga's deadline passed",
    };
    const record = this.record(step.name);
    record.status = "failed";
    record.lastError = { code: "SAGA_DEADLINE", message: "the saga's deadline passed" };
    // The step's outcome is unknown (it may still apply), so it takes the exhausted edge, which
    // compensates the step itself where it has a compensation.
    this.publish(LifecycleEvent.stepFailed, step.name, { failure: this.failureJson() });
    this.enterState(this.stepState(step.name).onExhausted);
    return this.done(`saga deadline passed during ${step.name}`);
  }

  private stepState(name: string): Extract<CompiledState, { type: "step" }> {
    const state = this.state(stepStateId(name));
    if (state.type !== "step")
      throw new EngineError(EngineErrorCode.unknownState, `No step state for ${name}.`, {});
    return state;
  }

  private compensationState(name: string): Extract<CompiledState, { type: "compensation" }> {
    const state = this.state(compensationStateId(name));
    if (state.type !== "compensation") {
      throw new EngineError(EngineErrorCode.unknownState, `No compensation state for ${name}.`, {});
    }
    return state;
  }

  private stepSucceeded(step: CompiledStep, output: JsonValue, note: string): TransitionResult {
    this.cancelPendingTimer();
    const record = this.record(step.name);
    record.status = "succeeded";
    record.output = output;
    record.lastError = null;
    if (step.role === "pivot") this.s.pivotPassed = true;
    this.publish(LifecycleEvent.stepCompleted, step.name, { attempt: record.attempts });
    this.enterState(this.stepState(step.name).onSuccess);
    return this.done(note);
  }

  private stepFailed(
    step: CompiledStep,
    kind: FailureInfo["kind"],
    code: string,
    message: string,
  ): TransitionResult {
    this.cancelPendingTimer();
    const record = this.record(step.name);
    record.status = "failed";
    record.lastError = { code, message };
    this.s.failure = { step: step.name, kind, code, message };
    this.publish(LifecycleEvent.stepFailed, step.name, { failure: this.failureJson() });
    this.enterState(this.stepState(step.name).onFailure);
    return this.done(`${step.name} failed: ${code} (${kind})`);
  }

  private compensationSucceeded(step: CompiledStep, note: string): TransitionResult {
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
  private attemptFailed(
    step: CompiledStep,
    compensation: boolean,
    code: string,
    message: string,
  ): TransitionResult {
    const pending = this.s.pending as PendingWork;
    this.cancelPendingTimer();
    const record = this.record(step.name);
    record.lastError = { code, message };
    const policy: CompiledRetryPolicy = compensation
      ? (step.compensation?.retry as CompiledRetryPolicy)
      : step.retry;
    const used = pending.attempt - pending.attemptBase;
    if (policy.maxAttempts === null || used < policy.maxAttempts) {
      const delayMs = backoffDelayMs(policy, used, this.context.random);
      const next = pending.attempt + 1;
      const retryTimer = timerId(this.s.sagaId, "retry", step.name, next, compensation);
      this.effects.push({
        type: "schedule-timer",
        timerId: retryTimer,
        fireAt: new Date(this.context.now.getTime() + delayMs).toISOString(),
        event: { type: "retry-timer", step: step.name, attempt: next, compensation },
      });
      this.s.pending = { ...pending, waitingFor: "retry-timer", timerId: retryTimer };
      this.publish(LifecycleEvent.stepRetrying, step.name, {
        attempt: next,
        delayMs,
        code,
        compensation,
      });
      return this.done(
        `${compensation ? "compensation of " : ""}${step.name} attempt ${pending.attempt} failed (${code}: ${message}); attempt ${next} in ${delayMs} ms`,
      );
    }
    this.s.pending = { ...pending, timerId: "" };
    if (compensation) {
      this.publish(LifecycleEvent.stepFailed, step.name, { compensation: true, code, message });
      this.enterState(this.compensationState(step.name).onExhausted);
      return this.done(
        `compensation of ${step.name} exhausted its ${policy.maxAttempts} attempts (${code})`,
      );
    }
    record.status = "failed";
    this.s.failure = { step: step.name, kind: "exhausted", code, message };
    this.publish(LifecycleEvent.stepFailed, step.name, { failure: this.failureJson() });
    this.enterState(this.stepState(step.name).onExhausted);
    return this.done(
      `${step.name} exhausted its ${policy.maxAttempts} attempts (${code}: ${message})`,
    );
  }

  onOperator(event: Extract<SagaEvent, { type: "operator" }>): TransitionResult {
    const who = `${event.action} by ${event.actor}: ${event.reason}`;
    if (isTerminal(this.s.status)) {
      return this.refuse("SAGA_TERMINAL", `Cannot ${event.action}: the saga is ${this.s.status}.`);
    }
    const pending = this.s.pending;
    const parked = this.s.status === SagaStatus.needsIntervention;
    switch (event.action) {
      case "retry": {
        if (!pending)
          return this.refuse("NOTHING_TO_RETRY", "Cannot retry: the saga waits on nothing.");
        this.cancelPendingTimer();
        // Going forward again: the old failure no longer describes the saga. A compensation keeps
        // it, since compensations map from `$.failure`.
        if (!pending.compensation) this.s.failure = null;
        this.s.status = pending.compensation ? SagaStatus.compensating : SagaStatus.running;
        this.s.state = pending.compensation
          ? compensationStateId(pending.step)
          : stepStateId(pending.step);
        // A fresh retry budget: attempts so far belong to the old one.
        this.startAttempt(pending.step, pending.compensation, pending.attempt + 1, pending.attempt);
        if (parked) this.rearmDeadline();
        return this.done(
          `${who}; ${pending.compensation ? "compensation of " : ""}${pending.step} attempt ${pending.attempt + 1}`,
        );
      }
      case "skip": {
        if (!pending)
          return this.refuse("NOTHING_TO_SKIP", "Cannot skip: the saga waits on nothing.");
        const step = this.step(pending.step);
        if (!pending.compensation && !isJsonObject(event.output)) {
          return this.refuse(
            "SKIP_OUTPUT_INVALID",
            "Skip needs an output object: what later steps read from this step.",
          );
        }
        this.cancelPendingTimer();
        if (pending.compensation) {
          // The operator undid the step by hand.
          this.s.status = SagaStatus.compensating;
          return this.compensationSucceeded(
            step,
            `${who}; compensation of ${step.name} marked done`,
          );
        }
        const record = this.record(step.name);
        record.status = "skipped";
        record.output =
          step.action.kind === "http" ? { status: 200, body: event.output } : event.output;
        this.s.failure = null;
        if (step.role === "pivot") this.s.pivotPassed = true;
        this.s.status = SagaStatus.running;
        if (parked) this.rearmDeadline();
        this.publish(LifecycleEvent.stepCompleted, step.name, { skipped: true });
        this.enterState(this.stepState(step.name).onSuccess);
        return this.done(`${who}; ${step.name} skipped with the supplied output`);
      }
      case "compensate": {
        if (this.s.pivotPassed) {
          return this.refuse(
            "PIVOT_PASSED",
            "Cannot compensate: the pivot has succeeded, so the remaining steps are retried until they succeed, never compensated.",
          );
        }
        if (this.s.status === SagaStatus.compensating) {
          return this.refuse("ALREADY_COMPENSATING", "The saga is already compensating.");
        }
        if (!pending || pending.compensation) {
          return this.refuse(
            "NOTHING_TO_COMPENSATE",
            "Cannot compensate: no forward step is in progress.",
          );
        }
        this.cancelPendingTimer();
        this.s.failure = {
          step: pending.step,
          kind: "operator",
          code: "FORCED_COMPENSATION",
          message: event.reason,
        };
        this.record(pending.step).status = "failed";
        // A step with a compensation undoes itself first (its guard refuses a late action); one
        // without (the pivot) starts the chain at the steps before it. The exhausted edge of a
        // pivot parks the saga, which is not what an operator asking to compensate wants.
        const state = this.stepState(pending.step);
        this.enterState(this.step(pending.step).compensation ? state.onExhausted : state.onFailure);
        return this.done(`${who}; compensation forced at ${pending.step}`);
      }
      case "resolve": {
        if (!parked) {
          return this.refuse(
            "NOT_PARKED",
            `Cannot resolve: only a saga that needs intervention can be marked resolved; this one is ${this.s.status}.`,
          );
        }
        this.s.status = SagaStatus.resolved;
        this.s.pending = null;
        if (this.s.deadlineAt)
          this.effects.push({ type: "cancel-timer", timerId: deadlineTimerId(this.s.sagaId) });
        this.publish(LifecycleEvent.resolved, null, { actor: event.actor, reason: event.reason });
        this.effects.push({ type: "finish", status: SagaStatus.resolved });
        return this.done(`${who}; marked resolved`);
      }
    }
  }
}

function isJsonObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The technical failure reply of the participant SDK (`failed(code, message)`). */
const COMMAND_FAILED = "CommandFailed";

/**
 * Whether a reply completes a compensation: one the compiled compensation lists as success.
 * Definitions compiled before that list existed accept any reply but a technical failure.
 */
function compensationDone(step: CompiledStep, reply: string): boolean {
  const success = (step.compensation as { success?: unknown } | null)?.success;
  if (Array.isArray(success)) return success.includes(reply);
  return reply !== COMMAND_FAILED;
}

/** The failure code a reply carries: `payload.code` when it has one, else its name. */
function replyCode(name: string, payload: JsonValue): string {
  if (isJsonObject(payload) && typeof payload.code === "string") return payload.code;
  return name;
}

function messageOf(payload: JsonValue, fallback: string): string {
  if (isJsonObject(payload) && typeof payload.message === "string") return payload.message;
  return fallback;
}

/** A mapping result as JSON: undefined (a missing optional path) becomes null. */
function toJson(value: unknown): JsonValue {
  return value === undefined ? null : (value as JsonValue);
}

function encodable(text: string): boolean {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** The first `:name` of the path whose value cannot be URI-encoded (a lone surrogate), if any. */
export function unencodablePathParam(
  path: string,
  params: Record<string, unknown>,
): string | undefined {
  for (const match of path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = match[1] as string;
    const value = Object.hasOwn(params, name) ? params[name] : undefined;
    if (value !== undefined && value !== null && !encodable(String(value))) return name;
  }
  return undefined;
}

/** Fills `:name` segments of a path from the params, URI-encoded. */
export function fillPath(path: string, params: Record<string, unknown>): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string) => {
    const value = Object.hasOwn(params, name) ? params[name] : undefined;
    return value === undefined || value === null ? whole : encodeURIComponent(String(value));
  });
}
