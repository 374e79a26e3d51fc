// `sagaTest(compiled)`: a saga author's unit test for one definition, with no broker and no
// database. It drives the real `transition` with a fake clock and a timer table, like the
// orchestrator would, and records what the saga did: the path it took, the commands and HTTP
// calls it sent (with their payloads), the compensations and the final state.
import {
  type CompiledSaga,
  type JsonValue,
  parseDuration,
  type StepRole,
} from "@sagaworks/saga-definition";
import type {
  Effect,
  OperatorAction,
  PendingWork,
  SagaEvent,
  SagaSnapshot,
  SagaStatus,
  TransitionResult,
} from "../model.ts";
import { activeWork } from "../model.ts";
import { transition } from "../transition.ts";
import { trackTimers } from "./armed-timers.ts";
import { replyTo } from "./causation.ts";

/** A command the saga sent, as an author asserts on it. */
export interface SentCommand {
  step: string;
  command: string;
  payload: JsonValue;
  attempt: number;
  compensation: boolean;
}

/** An HTTP call the saga made. */
export interface SentCall {
  step: string;
  method: string;
  path: string;
  query: JsonValue | null;
  body: JsonValue | null;
  attempt: number;
}

/** Options of {@link sagaTest}. */
export interface SagaTestOptions {
  /** The saga id (default `00000000-0000-4000-8000-000000000001`). */
  sagaId?: string;
  /** Where the fake clock starts (default 2026-01-01T00:00:00Z). */
  startAt?: Date;
  /** The random source for retry jitter (default: always 0.5, so delays are repeatable). */
  random?: () => number;
  /** Send chains of command steps (see chain.ts), as an orchestrator with chains on does. */
  chainSteps?: boolean;
  /** The most a chained command may take (the engine's `chainMaxBytes`); default no bound. */
  chainMaxBytes?: number;
}

/** The technical failure reply of the participant SDK: `failed(code, message)`. */
export const COMMAND_FAILED = "CommandFailed";

const DEFAULT_SAGA_ID = "00000000-0000-4000-8000-000000000001";
const DEFAULT_START = new Date("2026-01-01T00:00:00.000Z");

type Timer = Extract<Effect, { type: "schedule-timer" }>;

/**
 * What an unfinished saga waits on (for `step`, when named: a parallel group waits on one step
 * per branch): the one place the kit reads the snapshot's pending work, so a change of its shape
 * is adapted here.
 */
export function pendingOf(snapshot: SagaSnapshot | null, step?: string): PendingWork | null {
  if (!snapshot || (snapshot.status !== "running" && snapshot.status !== "compensating")) {
    return null;
  }
  if (step === undefined) return activeWork(snapshot);
  return Object.hasOwn(snapshot.pending, step) ? (snapshot.pending[step] ?? null) : null;
}

/** Everything an unfinished saga waits on, one entry per branch while a parallel group runs. */
export function allPendingOf(snapshot: SagaSnapshot | null): PendingWork[] {
  if (!snapshot || (snapshot.status !== "running" && snapshot.status !== "compensating")) {
    return [];
  }
  return Object.values(snapshot.pending);
}

/** A record of one applied or refused event, kept for the path and for failure messages. */
interface Entry {
  event: SagaEvent;
  result: TransitionResult;
  /** The snapshot the event was applied to (null for start). */
  before: SagaSnapshot | null;
}

/**
 * One saga instance under test. Every method applies events through the engine's `transition`;
 * nothing is simulated besides the participants' answers and the clock.
 */
export class SagaTest {
  readonly compiled: CompiledSaga;
  readonly sagaId: string;
  now: Date;
  snapshot: SagaSnapshot | null = null;
  /** Armed timers by id: what the orchestrator's timer table would hold. */
  readonly timers = new Map<string, Timer>();
  private readonly random: () => number;
  private readonly chainSteps: boolean;
  private readonly chainMaxBytes: number | undefined;
  /** Events sent so far: numbers the ids of events sent without one. */
  private eventsSent = 0;
  private readonly entries: Entry[] = [];

  constructor(compiled: CompiledSaga, options: SagaTestOptions = {}) {
    this.compiled = compiled;
    this.sagaId = options.sagaId ?? DEFAULT_SAGA_ID;
    this.now = new Date((options.startAt ?? DEFAULT_START).getTime());
    this.random = options.random ?? (() => 0.5);
    this.chainSteps = options.chainSteps ?? false;
    this.chainMaxBytes = options.chainMaxBytes;
  }

  /** An independent copy at this point: the explorer branches with it. */
  fork(): SagaTest {
    const copy = new SagaTest(this.compiled, {
      sagaId: this.sagaId,
      startAt: this.now,
      random: this.random,
      chainSteps: this.chainSteps,
      ...(this.chainMaxBytes === undefined ? {} : { chainMaxBytes: this.chainMaxBytes }),
    });
    copy.snapshot = this.snapshot && structuredClone(this.snapshot);
    for (const [id, timer] of this.timers) copy.timers.set(id, timer);
    copy.entries.push(...this.entries);
    copy.eventsSent = this.eventsSent;
    return copy;
  }

  /** Applies any engine event (an operator action, a reply with every field chosen…). */
  send(event: SagaEvent): TransitionResult {
    const before = this.snapshot;
    const result = transition(this.compiled, before, event, {
      now: this.now,
      random: this.random,
      chainSteps: this.chainSteps,
      chainMaxBytes: this.chainMaxBytes,
    });
    this.entries.push({ event, result, before });
    if (result.applied) {
      this.snapshot = result.snapshot;
      trackTimers(this.timers, result.effects);
    }
    return result;
  }

  /** Starts the saga with `input` (not checked against the input schema: the API does that). */
  start(input: JsonValue): this {
    this.send({ type: "start", sagaId: this.sagaId, input });
    return this;
  }

  /**
   * What the saga waits on now, or null; with `step`, what it waits on for that step (in a
   * parallel group each branch's step has its own work).
   */
  waitingOn(step?: string): PendingWork | null {
    return pendingOf(this.snapshot, step);
  }

  /** Everything the saga waits on now: one entry per branch while a parallel group runs. */
  waitingOnAll(): PendingWork[] {
    return allPendingOf(this.snapshot);
  }

  private pendingFor(step: string, compensation: boolean | undefined, what: string): PendingWork {
    const pending = this.waitingOn(step) ?? this.waitingOn();
    const matches =
      pending &&
      pending.step === step &&
      (compensation === undefined || pending.compensation === compensation);
    if (!pending || !matches) {
      const now = pending
        ? `${pending.compensation ? "the compensation of " : ""}${pending.step} attempt ${pending.attempt} (${pending.waitingFor})`
        : `nothing (the saga is ${this.snapshot?.status ?? "not started"})`;
      throw new Error(
        `Cannot ${what} for ${step}: the saga waits on ${now}. To send a late or duplicate answer, pass { attempt } explicitly.`,
      );
    }
    return pending;
  }

  /**
   * A participant's reply to `step` (or, with `{ compensation: true }`, to its compensation):
   * to the attempt the saga waits on, unless `attempt` is given (a late or duplicate reply).
   */
  reply(
    step: string,
    name: string,
    payload: JsonValue = {},
    at: { attempt?: number; compensation?: boolean } = {},
  ): TransitionResult {
    const pending =
      at.attempt === undefined ? this.pendingFor(step, at.compensation, `reply ${name}`) : null;
    const attempt = at.attempt ?? (pending as PendingWork).attempt;
    const compensation = at.compensation ?? pending?.compensation ?? false;
    return this.send(replyTo(this.effects(), { step, attempt, compensation }, name, payload));
  }

  /** The participant SDK's technical failure (`failed(code, message)`) for `step`. */
  fail(
    step: string,
    code: string,
    message = code,
    at: { attempt?: number; compensation?: boolean } = {},
  ): TransitionResult {
    return this.reply(step, COMMAND_FAILED, { code, message }, at);
  }

  /** The answer of an HTTP step. */
  respond(step: string, status: number, body: JsonValue = {}, attempt?: number): TransitionResult {
    const pending =
      attempt === undefined ? this.pendingFor(step, false, `respond ${status}`) : null;
    return this.send({
      type: "http-response",
      step,
      attempt: attempt ?? (pending as PendingWork).attempt,
      status,
      body,
    });
  }

  /**
   * An outside event for the wait of await step `step`, on the key it waits on (or `at.key`).
   * Each event gets a fresh id unless `at.eventId` repeats one. The engine applies an event only
   * to the open wait it correlates with, so one sent after the wait's outcome (late) or again
   * after it applied (a duplicate) changes nothing; the orchestrator's inbox also drops a
   * repeated id before the engine sees it.
   */
  event(
    step: string,
    name: string,
    payload: JsonValue = {},
    at: { eventId?: string; key?: string } = {},
  ): TransitionResult {
    const compiledStep = this.compiled.steps.find((candidate) => candidate.name === step);
    if (compiledStep?.action.kind !== "await") {
      throw new Error(`Cannot send event ${name} to ${step}: it is not an await step.`);
    }
    const key =
      at.key ??
      this.pendingFor(step, false, `send event ${name}`).wait?.key ??
      "(no key: the step is not waiting)";
    this.eventsSent += 1;
    return this.send({
      type: "outside-event",
      eventId: at.eventId ?? `${step}:${name}:${this.eventsSent}`,
      service: compiledStep.service,
      name,
      key,
      payload,
    });
  }

  /** The key an await step waits on now (undefined when it does not wait). */
  waitKey(step: string): string | undefined {
    const pending = this.waitingOn();
    return pending?.step === step ? pending.wait?.key : undefined;
  }

  /** An HTTP step's call that got no answer (connection refused, reset…). */
  networkError(step: string, code = "ECONNREFUSED"): TransitionResult {
    const pending = this.pendingFor(step, false, "fail the call");
    return this.send({
      type: "http-failure",
      step,
      attempt: pending.attempt,
      code,
      message: `${code} (scripted)`,
    });
  }

  /** Moves the clock by `duration` (ms or `"30s"`) and fires the timers due, earliest first. */
  advance(duration: number | string): TransitionResult[] {
    const ms = typeof duration === "number" ? duration : parseDuration(duration);
    if (ms === undefined) throw new Error(`advance: "${duration}" is not a duration like "30s".`);
    const until = this.now.getTime() + ms;
    const fired: TransitionResult[] = [];
    for (;;) {
      const next = this.nextTimer();
      if (!next || Date.parse(next.fireAt) > until) break;
      this.now = new Date(Math.max(this.now.getTime(), Date.parse(next.fireAt)));
      this.timers.delete(next.timerId);
      fired.push(this.send(next.event));
    }
    this.now = new Date(until);
    return fired;
  }

  /** The earliest armed timer. */
  nextTimer(): Timer | undefined {
    return [...this.timers.values()].sort((a, b) => a.fireAt.localeCompare(b.fireAt))[0];
  }

  /** Fires one timer now, moving the clock to it (the default: the earliest). */
  fire(timer: Timer | undefined = this.nextTimer()): TransitionResult {
    if (!timer) throw new Error("No timer is armed.");
    this.now = new Date(Math.max(this.now.getTime(), Date.parse(timer.fireAt)));
    this.timers.delete(timer.timerId);
    return this.send(timer.event);
  }

  /** Lets the pending attempt of `step` time out: moves the clock to its timeout and fires it. */
  timeout(step: string, at: { compensation?: boolean } = {}): TransitionResult {
    const pending = this.pendingFor(step, at.compensation, "time out");
    const timer = this.timers.get(pending.timerId);
    if (!timer)
      throw new Error(`${step} has no armed timeout (it waits on ${pending.waitingFor}).`);
    return this.fire(timer);
  }

  /** Fires the pending retry timer of `step` (after a failed attempt). */
  retry(step: string, at: { compensation?: boolean } = {}): TransitionResult {
    const pending = this.pendingFor(step, at.compensation, "retry");
    if (pending.waitingFor !== "retry-timer") {
      throw new Error(`${step} is not waiting for a retry (it waits on ${pending.waitingFor}).`);
    }
    return this.fire(this.timers.get(pending.timerId));
  }

  /** Lets the saga's own deadline pass (its timer fires). */
  deadline(): TransitionResult {
    const timer = [...this.timers.values()].find((t) => t.event.type === "saga-deadline");
    if (!timer) throw new Error("The saga has no deadline armed (no timeout, or it finished).");
    return this.fire(timer);
  }

  /** An operator's action, as `ops sagas retry|skip|compensate|resolve` sends it. */
  operator(action: OperatorAction, actor = "test", reason = "scripted"): TransitionResult {
    return this.send({ type: "operator", actor, reason, ...action });
  }

  /** The saga's status (undefined before start). */
  get status(): SagaStatus | undefined {
    return this.snapshot?.status;
  }

  /** Every effect of the applied transitions, in order. */
  effects(): Effect[] {
    return this.entries.filter((e) => e.result.applied).flatMap((e) => e.result.effects);
  }

  /** Every event offered and what the engine did with it (applied or not, and its note). */
  history(): Array<{ event: SagaEvent; applied: boolean; note: string }> {
    return this.entries.map((e) => ({
      event: e.event,
      applied: e.result.applied,
      note: e.result.note,
    }));
  }

  /** The commands sent, with their payloads, in order (compensations included). */
  commands(): SentCommand[] {
    return this.effects().flatMap((e) =>
      e.type === "send-command"
        ? [
            {
              step: e.step,
              command: e.command,
              payload: e.payload,
              attempt: e.attempt,
              compensation: e.compensation,
            },
          ]
        : [],
    );
  }

  /** The HTTP calls made, in order. */
  calls(): SentCall[] {
    return this.effects().flatMap((e) =>
      e.type === "call-http"
        ? [
            {
              step: e.step,
              method: e.method,
              path: e.path,
              query: e.query,
              body: e.body,
              attempt: e.attempt,
            },
          ]
        : [],
    );
  }

  /** The steps whose compensation was sent, in the order they were compensated. */
  compensations(): string[] {
    return [
      ...new Set(
        this.commands()
          .filter((c) => c.compensation)
          .map((c) => c.step),
      ),
    ];
  }

  /** The lifecycle events published (`saga.step.completed`…), in order. */
  lifecycle(): string[] {
    return this.effects().flatMap((e) => (e.type === "publish-event" ? [e.name] : []));
  }

  /**
   * The path taken: each step that ran (`create-order`), each compensation (`compensate:x`), in
   * the order they first started, then where the saga ended (`completed`, `compensated`,
   * `failed`, `needs-intervention`), if it has.
   */
  path(): string[] {
    const path: string[] = [];
    for (const effect of this.effects()) {
      let label: string | undefined;
      if (effect.type === "send-command" && effect.attempt === 1) {
        label = effect.compensation ? `compensate:${effect.step}` : effect.step;
      } else if (effect.type === "call-http" && effect.attempt === 1) {
        label = effect.step;
      } else if (effect.type === "publish-event" && effect.name === "saga.step.waiting") {
        label = effect.step ?? undefined;
      } else if (effect.type === "finish") {
        label = effect.status;
      } else if (effect.type === "publish-event" && effect.name === "saga.needs-intervention") {
        label = "needs-intervention";
      }
      if (label !== undefined && path.at(-1) !== label) path.push(label);
    }
    return path;
  }

  /** The role of a step (read-only, compensatable, pivot, retriable). */
  roleOf(step: string): StepRole | undefined {
    return this.compiled.steps.find((candidate) => candidate.name === step)?.role;
  }

  /** Every applied transition with the snapshot before it; what the explorer's checks read. */
  transitions(): ReadonlyArray<{
    event: SagaEvent;
    result: TransitionResult;
    before: SagaSnapshot | null;
  }> {
    return this.entries;
  }
}

/**
 * A test of one compiled saga: `sagaTest(compiled).start(input)`, then script each answer
 * (`reply`, `fail`, `respond`, `networkError`, `timeout`, `advance`, `deadline`, `operator`) and
 * assert on `status`, `path()`, `commands()`, `calls()` and `compensations()`.
 */
export function sagaTest(compiled: CompiledSaga, options: SagaTestOptions = {}): SagaTest {
  return new SagaTest(compiled, options);
}
