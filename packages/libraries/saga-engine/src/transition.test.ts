// Unit tests of the saga semantics, one `describe` per rule of DESIGN.md "Saga semantics", run
// against the compiled fixture saga: read-only HTTP `check`, compensatable `a` and `b` (UndoA,
// UndoB), the pivot `decide`, and the retriable `finish`.
import { SagaworksError } from "@sagaworks/errors";
import { type CompiledSaga, compileSagaOrThrow, type JsonValue } from "@sagaworks/saga-definition";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { backoffDelayMs } from "./backoff.ts";
import {
  activeWork,
  type Effect,
  type OperatorAction,
  type OperatorExpectation,
  type SagaEvent,
  type SagaSnapshot,
  type TransitionContext,
  type TransitionResult,
} from "./model.ts";
import { SagaDriver } from "./testing/driver.ts";
import { compileFixture, fixtureContracts, fixtureDefinition } from "./testing/fixture-saga.ts";
import {
  actionKey,
  commandMessageId,
  compensationKey,
  deadlineTimerId,
  fillPath,
  isTerminal,
  transition,
} from "./transition.ts";

// biome-ignore lint/suspicious/noExplicitAny: definitions are edited freely, like hand-edited JSON.
type Loose = any;

const SAGA = "00000000-0000-4000-8000-000000000001";
const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const compiled = compileFixture();

const at = (ms: number) => new Date(T0 + ms).toISOString();
const timeoutTimer = (step: string, attempt: number, compensation = false) =>
  `${SAGA}:timeout:${step}:${attempt}:${compensation ? "compensation" : "action"}`;
const retryTimer = (step: string, attempt: number, compensation = false) =>
  `${SAGA}:retry:${step}:${attempt}:${compensation ? "compensation" : "action"}`;

/** The message id of the command a reply to that attempt answers (its causation id). */
const cause = (step: string, attempt: number, compensation: boolean) =>
  commandMessageId(
    SAGA,
    compensation ? compensationKey(SAGA, step) : actionKey(SAGA, step),
    attempt,
  );

/** The reply `name` (empty payload) to the command of `step`'s attempt, as the transport delivers it. */
const replyEvent = (step: string, name: string, attempt = 1, compensation = false): SagaEvent => ({
  type: "reply",
  step,
  attempt,
  compensation,
  causationId: cause(step, attempt, compensation),
  name,
  payload: {},
});

/** Applies the saga deadline at its time (or now, if that is later). */
function fireDeadline(driver: SagaDriver): TransitionResult {
  const deadlineAt = Date.parse(snap(driver).deadlineAt ?? "");
  driver.now = new Date(Math.max(driver.now.getTime(), deadlineAt));
  return driver.apply({ type: "saga-deadline" });
}

/** A fixture definition edited by `edit`, compiled. */
function variant(edit: (definition: Loose) => void): CompiledSaga {
  const definition: Loose = fixtureDefinition();
  edit(definition);
  return compileFixture(definition);
}

/** A driver with a started saga. */
function started(saga: CompiledSaga = compiled): SagaDriver {
  const driver = new SagaDriver(saga);
  driver.start();
  return driver;
}

/** Runs `check` (200) and `a` (ADone). */
function throughA(driver: SagaDriver): SagaDriver {
  driver.http(200, { id: "thing-1" });
  driver.reply("ADone", { sagaId: SAGA });
  return driver;
}

/** Runs up to the pivot, which is then in flight. */
function atDecide(saga: CompiledSaga = compiled): SagaDriver {
  const driver = throughA(started(saga));
  driver.reply("BDone", { sagaId: SAGA });
  return driver;
}

/** Past the pivot: `finish` attempt 1 is in flight. */
function atFinish(): SagaDriver {
  const driver = atDecide();
  driver.reply("Decided", { sagaId: SAGA });
  return driver;
}

/** Fires the pending attempt's timeout. */
function timeOut(driver: SagaDriver): TransitionResult {
  const pending = driver.snapshot ? activeWork(driver.snapshot) : null;
  if (pending?.waitingFor !== "reply") throw new Error("no attempt in flight");
  const timer = driver.timers.get(pending.timerId);
  if (!timer) throw new Error(`timer ${pending.timerId} is not armed`);
  driver.now = new Date(Date.parse(timer.fireAt));
  driver.timers.delete(timer.timerId);
  return driver.apply(timer.event);
}

/** Fires the pending retry timer. */
function fireRetry(driver: SagaDriver): TransitionResult {
  const pending = driver.snapshot ? activeWork(driver.snapshot) : null;
  if (pending?.waitingFor !== "retry-timer") throw new Error("no retry timer pending");
  const timer = driver.timers.get(pending.timerId);
  if (!timer) throw new Error(`timer ${pending.timerId} is not armed`);
  driver.now = new Date(Math.max(driver.now.getTime(), Date.parse(timer.fireAt)));
  driver.timers.delete(timer.timerId);
  return driver.apply(timer.event);
}

/** Times the pending attempt out and fires its retry, `times` times. */
function timeOutAndRetry(driver: SagaDriver, times: number): void {
  for (let i = 0; i < times; i++) {
    timeOut(driver);
    fireRetry(driver);
  }
}

/** An operator action whose expectation the helper fills in unless the test gives one. */
type ActionInput = OperatorAction extends infer A
  ? A extends OperatorAction
    ? Omit<A, "expected"> & { expected?: OperatorExpectation }
    : never
  : never;

/** What an operator looking at the saga now sees it wait on (what the CLI and inspector send). */
function seen(driver: SagaDriver) {
  const pending = driver.snapshot ? activeWork(driver.snapshot) : null;
  return pending
    ? { step: pending.step, attempt: pending.attempt, compensation: pending.compensation }
    : { step: "(none)", attempt: 1, compensation: false };
}

/** An operator action; unless the test says otherwise it expects what the saga waits on now. */
function operator(driver: SagaDriver, action: ActionInput): TransitionResult {
  return driver.apply({
    type: "operator",
    actor: "ops@example.com",
    reason: "ticket-42",
    ...(action.action === "resolve" ? {} : { expected: seen(driver) }),
    ...action,
  } as SagaEvent);
}

function snap(driver: SagaDriver): SagaSnapshot {
  if (!driver.snapshot) throw new Error("no snapshot");
  return driver.snapshot;
}

type EffectOf<T extends Effect["type"]> = Extract<Effect, { type: T }>;
const ofType = <T extends Effect["type"]>(effects: Effect[], type: T): EffectOf<T>[] =>
  effects.filter((effect): effect is EffectOf<T> => effect.type === type);
const sends = (effects: Effect[]) => ofType(effects, "send-command");
const events = (effects: Effect[]) => ofType(effects, "publish-event").map((e) => e.name);
const compensations = (driver: SagaDriver) =>
  sends(driver.effects())
    .filter((e) => e.compensation)
    .map((e) => e.command);

/** The event of `step` completing on its first attempt while the saga runs on. */
const stepCompleted = (step: string) => ({
  type: "publish-event",
  name: "saga.step.completed",
  step,
  detail: { sagaId: SAGA, status: "running", attempt: 1 },
});

/** Answers the undo of b, then of a, and checks that both were asked in that order. */
function undoBThenA(driver: SagaDriver): void {
  driver.reply("BUndone");
  driver.reply("AUndone");
  expect(compensations(driver)).toEqual(["UndoB", "UndoA"]);
}

/** Asserts an event was ignored: nothing applied, nothing emitted, the snapshot as it was. */
function expectIgnored(driver: SagaDriver, event: SagaEvent, note?: RegExp): TransitionResult {
  const before = structuredClone(snap(driver));
  const timers = [...driver.timers.keys()];
  const result = driver.apply(event);
  expect(result.applied).toBe(false);
  expect(result.effects).toEqual([]);
  expect(result.snapshot).toEqual(before);
  expect(snap(driver)).toEqual(before);
  expect([...driver.timers.keys()]).toEqual(timers);
  if (note) expect(result.note).toMatch(note);
  return result;
}

/** Asserts an operator action was refused with `code`, changing nothing. */
function expectRefused(driver: SagaDriver, action: ActionInput, code: string): void {
  const before = structuredClone(snap(driver));
  const result = operator(driver, action);
  expect(result.applied).toBe(false);
  expect(result.refused?.code).toBe(code);
  expect(result.refused?.message.length).toBeGreaterThan(10);
  expect(result.effects).toEqual([]);
  expect(result.snapshot).toEqual(before);
  expect(snap(driver)).toEqual(before);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const field of Object.values(value)) deepFreeze(field);
  }
  return value;
}

describe("start", () => {
  it("publishes saga.started, arms the deadline, calls the first step with its filled path and arms its timeout", () => {
    const driver = new SagaDriver(compiled);
    const result = driver.start();
    expect(result.applied).toBe(true);
    expect(result.refused).toBeUndefined();
    expect(result.effects).toEqual([
      {
        type: "publish-event",
        name: "saga.started",
        step: null,
        detail: { sagaId: SAGA, status: "running", input: { id: "thing-1" } },
      },
      {
        type: "schedule-timer",
        timerId: `${SAGA}:deadline`,
        fireAt: at(600_000),
        event: { type: "saga-deadline" },
      },
      {
        type: "call-http",
        service: "things",
        method: "GET",
        path: "/things/thing-1",
        query: null,
        body: null,
        step: "check",
        attempt: 1,
        idempotencyKey: `${SAGA}:check`,
        timeoutMs: 5000,
      },
      {
        type: "schedule-timer",
        timerId: timeoutTimer("check", 1),
        fireAt: at(5000),
        event: { type: "step-timeout", step: "check", attempt: 1, compensation: false },
      },
    ]);
  });

  it("creates a running snapshot pinned to the compiled definition", () => {
    const snapshot = snap(started());
    expect(snapshot).toEqual({
      sagaId: SAGA,
      sagaName: "fixture",
      sagaVersion: 1,
      sagaHash: compiled.hash,
      status: "running",
      state: "step:check",
      input: { id: "thing-1" },
      steps: {
        check: {
          status: "running",
          attempts: 1,
          compensationAttempts: 0,
          output: null,
          lastError: null,
        },
        a: {
          status: "pending",
          attempts: 0,
          compensationAttempts: 0,
          output: null,
          lastError: null,
        },
        b: {
          status: "pending",
          attempts: 0,
          compensationAttempts: 0,
          output: null,
          lastError: null,
        },
        decide: {
          status: "pending",
          attempts: 0,
          compensationAttempts: 0,
          output: null,
          lastError: null,
        },
        finish: {
          status: "pending",
          attempts: 0,
          compensationAttempts: 0,
          output: null,
          lastError: null,
        },
      },
      pending: {
        check: {
          step: "check",
          compensation: false,
          attempt: 1,
          attemptBase: 0,
          waitingFor: "reply",
          timerId: timeoutTimer("check", 1),
          idempotencyKey: `${SAGA}:check`,
        },
      },
      failure: null,
      pivotPassed: false,
      deadlineAt: at(600_000),
      startedAt: at(0),
      updatedAt: at(0),
      seq: 1,
    });
  });

  it("URI-encodes path parameters", () => {
    const driver = new SagaDriver(compiled);
    const result = driver.start({ id: "a b/c?d" });
    const call = ofType(result.effects, "call-http")[0];
    expect(call?.path).toBe("/things/a%20b%2Fc%3Fd");
  });

  it("fails the step with a clear error, instead of throwing URIError, on a lone surrogate in a path parameter", () => {
    const driver = new SagaDriver(compiled);
    const result = driver.start({ id: "bad-\ud800" });
    expect(result.applied).toBe(true);
    expect(ofType(result.effects, "call-http")).toEqual([]);
    expect(snap(driver).status).toBe("failed");
    expect(snap(driver).failure).toMatchObject({
      step: "check",
      kind: "non-retryable",
      code: "HTTP_PATH_PARAM_INVALID",
    });
    expect(snap(driver).failure?.message).toContain('path parameter "id"');
    expect(driver.timers.size).toBe(0);
  });

  it.each([".", ".."])(
    "fails the step, sending nothing, on a path parameter of %j (URL navigation)",
    (id) => {
      const driver = new SagaDriver(compiled);
      driver.start({ id });
      expect(ofType(driver.effects(), "call-http")).toEqual([]);
      expect(snap(driver).failure).toMatchObject({
        step: "check",
        kind: "non-retryable",
        code: "HTTP_PATH_PARAM_INVALID",
        message: expect.stringContaining("navigation"),
      });
    },
  );

  it("fillPath leaves a missing parameter as written", () => {
    expect(fillPath("/things/:id/:other", { id: 7 })).toBe("/things/7/:other");
    expect(fillPath("/things/:id", { id: null })).toBe("/things/:id");
  });

  it("arms no deadline timer for a saga without a timeout", () => {
    const saga = variant((d) => {
      delete d.timeout;
    });
    const driver = new SagaDriver(saga);
    const result = driver.start();
    expect(snap(driver).deadlineAt).toBeNull();
    expect(ofType(result.effects, "schedule-timer").map((t) => t.event.type)).toEqual([
      "step-timeout",
    ]);
    driver.http(200, { id: "thing-1" });
    driver.reply("ADone");
    driver.reply("BDone");
    driver.reply("Decided");
    const done = driver.reply("Finished");
    expect(snap(driver).status).toBe("completed");
    expect(ofType(done.effects, "cancel-timer").map((c) => c.timerId)).not.toContain(
      deadlineTimerId(SAGA),
    );
  });

  it("ignores a start for a saga that already has a snapshot", () => {
    const driver = started();
    expectIgnored(driver, { type: "start", sagaId: SAGA, input: { id: "other" } }, /already/);
  });
});

describe("engine errors", () => {
  it("throws ENGINE_NO_SNAPSHOT for a non-start event without a snapshot", () => {
    const context = { now: new Date(T0), random: () => 0.5 };
    const call = () =>
      transition(compiled, null, { type: "saga-deadline" }, context as TransitionContext);
    expect(call).toThrow(SagaworksError);
    expect(call).toThrow(expect.objectContaining({ code: "ENGINE_NO_SNAPSHOT" }));
  });

  it.each([
    ["reply", replyEvent("check", "x")],
    ["operator", { type: "operator", actor: "me", reason: "r", action: "resolve" }],
    ["retry-timer", { type: "retry-timer", step: "a", attempt: 2, compensation: false }],
  ] as Array<[string, SagaEvent]>)("throws ENGINE_NO_SNAPSHOT for %s", (_name, event) => {
    expect(() => transition(compiled, null, event, { now: new Date(T0), random: () => 0 })).toThrow(
      expect.objectContaining({ code: "ENGINE_NO_SNAPSHOT" }),
    );
  });

  it("throws ENGINE_DEFINITION_MISMATCH for a snapshot started on another definition", () => {
    const other = variant((d) => {
      d.description = "Every step shape, edited";
    });
    expect(other.hash).not.toBe(compiled.hash);
    const snapshot = snap(started());
    const call = () =>
      transition(
        other,
        snapshot,
        { type: "saga-deadline" },
        { now: new Date(T0), random: () => 0 },
      );
    expect(call).toThrow(expect.objectContaining({ code: "ENGINE_DEFINITION_MISMATCH" }));
    expect(call).toThrow(new RegExp(snapshot.sagaHash.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  });

  it("a matching hash is accepted", () => {
    const snapshot = snap(started());
    const result = transition(
      compileFixture(),
      snapshot,
      { type: "saga-deadline" },
      {
        now: new Date(T0 + 600_000),
        random: () => 0,
      },
    );
    expect(result.applied).toBe(true);
  });
});

describe("happy path to completed", () => {
  it("runs every step in order with its command, key and timeout, then completes", () => {
    const driver = started();

    const r1 = driver.http(200, { id: "thing-1" });
    expect(r1.applied).toBe(true);
    expect(r1.effects).toEqual([
      { type: "cancel-timer", timerId: timeoutTimer("check", 1) },
      stepCompleted("check"),
      {
        type: "send-command",
        service: "shop",
        command: "ReserveA",
        payload: { sagaId: SAGA },
        step: "a",
        attempt: 1,
        compensation: false,
        idempotencyKey: `${SAGA}:a`,
        messageId: cause("a", 1, false),
      },
      {
        type: "schedule-timer",
        timerId: timeoutTimer("a", 1),
        fireAt: at(30_000),
        event: { type: "step-timeout", step: "a", attempt: 1, compensation: false },
      },
    ]);
    expect(snap(driver).steps.check).toMatchObject({
      status: "succeeded",
      output: { status: 200, body: { id: "thing-1" } },
    });

    const r2 = driver.reply("ADone", { sagaId: SAGA });
    expect(sends(r2.effects)).toEqual([
      expect.objectContaining({
        command: "ReserveB",
        step: "b",
        attempt: 1,
        idempotencyKey: `${SAGA}:b`,
      }),
    ]);
    const r3 = driver.reply("BDone", { sagaId: SAGA });
    expect(sends(r3.effects)).toEqual([
      expect.objectContaining({
        command: "Decide",
        step: "decide",
        idempotencyKey: `${SAGA}:decide`,
      }),
    ]);
    expect(snap(driver).pivotPassed).toBe(false);
    const r4 = driver.reply("Decided", { sagaId: SAGA });
    expect(snap(driver).pivotPassed).toBe(true);
    expect(sends(r4.effects)).toEqual([
      expect.objectContaining({
        command: "Finish",
        step: "finish",
        idempotencyKey: `${SAGA}:finish`,
      }),
    ]);

    const r5 = driver.reply("Finished", { sagaId: SAGA, done: true });
    expect(r5.effects).toEqual([
      { type: "cancel-timer", timerId: timeoutTimer("finish", 1) },
      stepCompleted("finish"),
      { type: "cancel-timer", timerId: deadlineTimerId(SAGA) },
      {
        type: "publish-event",
        name: "saga.completed",
        step: null,
        detail: { sagaId: SAGA, status: "completed", failure: null },
      },
      { type: "finish", status: "completed" },
    ]);

    const snapshot = snap(driver);
    expect(snapshot.status).toBe("completed");
    expect(snapshot.state).toBe("completed");
    expect(snapshot.pending).toEqual({});
    expect(snapshot.failure).toBeNull();
    expect(snapshot.seq).toBe(6);
    expect(Object.values(snapshot.steps).map((s) => s.status)).toEqual(Array(5).fill("succeeded"));
    expect(snapshot.steps.finish?.output).toEqual({ sagaId: SAGA, done: true });
    expect(driver.timers.size).toBe(0);
    expect(driver.commands()).toEqual(["ReserveA", "ReserveB", "Decide", "Finish"]);
    expect(events(driver.effects())).toEqual([
      "saga.started",
      "saga.step.completed",
      "saga.step.completed",
      "saga.step.completed",
      "saga.step.completed",
      "saga.step.completed",
      "saga.completed",
    ]);
    expect(ofType(driver.effects(), "finish")).toHaveLength(1);
    expect(isTerminal(snapshot.status)).toBe(true);
  });

  it("keeps one idempotency key across attempts; a compensation has its own", () => {
    expect(actionKey(SAGA, "a")).toBe(`${SAGA}:a`);
    expect(compensationKey(SAGA, "a")).toBe(`${SAGA}:a:compensation`);
    const driver = started();
    driver.http(200, { id: "thing-1" });
    timeOutAndRetry(driver, 2);
    timeOut(driver);
    const sent = sends(driver.effects());
    expect(sent.map((e) => [e.command, e.attempt, e.idempotencyKey])).toEqual([
      ["ReserveA", 1, `${SAGA}:a`],
      ["ReserveA", 2, `${SAGA}:a`],
      ["ReserveA", 3, `${SAGA}:a`],
      ["UndoA", 1, `${SAGA}:a:compensation`],
    ]);
  });

  it("stamps every applied transition with the clock and a sequence number", () => {
    const driver = started();
    driver.now = new Date(T0 + 1234);
    driver.http(200, { id: "thing-1" });
    expect(snap(driver).updatedAt).toBe(at(1234));
    expect(snap(driver).startedAt).toBe(at(0));
    expect(snap(driver).seq).toBe(2);
    for (const result of driver.results) expect(result.note.length).toBeGreaterThan(0);
  });
});

describe("HTTP business failure at the read-only check", () => {
  it("fails the saga at once and compensates nothing", () => {
    const driver = started();
    const result = driver.http(404, { message: "no such thing" });
    expect(snap(driver).status).toBe("failed");
    expect(snap(driver).state).toBe("failed");
    expect(activeWork(snap(driver))).toBeNull();
    expect(snap(driver).failure).toEqual({
      step: "check",
      kind: "business-failure",
      code: "HTTP_404",
      message: "no such thing",
    });
    expect(snap(driver).steps.check).toMatchObject({
      status: "failed",
      lastError: { code: "HTTP_404", message: "no such thing" },
    });
    expect(sends(driver.effects())).toEqual([]);
    expect(events(result.effects)).toEqual(["saga.step.failed", "saga.failed"]);
    expect(ofType(result.effects, "finish")).toEqual([{ type: "finish", status: "failed" }]);
    expect(driver.timers.size).toBe(0);
  });
});

describe("business failure starts compensation in reverse order", () => {
  it("a failure at b compensates a only", () => {
    const driver = throughA(started());
    const failed = driver.reply("BRefused", { sagaId: SAGA, message: "no stock" });
    expect(snap(driver).status).toBe("compensating");
    expect(snap(driver).state).toBe("compensate:a");
    expect(snap(driver).failure).toEqual({
      step: "b",
      kind: "business-failure",
      code: "BRefused",
      message: "no stock",
    });
    expect(sends(failed.effects)).toEqual([
      {
        type: "send-command",
        service: "shop",
        command: "UndoA",
        payload: { sagaId: SAGA },
        step: "a",
        attempt: 1,
        compensation: true,
        idempotencyKey: `${SAGA}:a:compensation`,
        messageId: cause("a", 1, true),
        // The orchestrator got a's success reply: the participant need not remember it.
        actionApplied: true,
      },
    ]);
    expect(ofType(failed.effects, "schedule-timer")).toEqual([
      {
        type: "schedule-timer",
        timerId: timeoutTimer("a", 1, true),
        fireAt: at(30_000),
        event: { type: "step-timeout", step: "a", attempt: 1, compensation: true },
      },
    ]);
    const done = driver.reply("AUndone", { sagaId: SAGA });
    expect(done.effects).toEqual([
      { type: "cancel-timer", timerId: timeoutTimer("a", 1, true) },
      expect.objectContaining({ name: "saga.step.compensated", step: "a" }),
      { type: "cancel-timer", timerId: deadlineTimerId(SAGA) },
      expect.objectContaining({ name: "saga.compensated", step: null }),
      { type: "finish", status: "compensated" },
    ]);
    expect(snap(driver).status).toBe("compensated");
    expect(snap(driver).steps.a?.status).toBe("compensated");
    expect(snap(driver).steps.b?.status).toBe("failed");
    expect(snap(driver).steps.decide?.status).toBe("pending");
    expect(compensations(driver)).toEqual(["UndoA"]);
    expect(driver.timers.size).toBe(0);
  });

  it("a failure at the pivot (Declined) compensates b, then a", () => {
    const driver = atDecide();
    driver.reply("Declined", { sagaId: SAGA });
    expect(snap(driver).state).toBe("compensate:b");
    expect(snap(driver).pivotPassed).toBe(false);
    expect(snap(driver).steps.decide?.status).toBe("failed");
    const undoB = driver.reply("BUndone", { sagaId: SAGA });
    expect(sends(undoB.effects).map((e) => [e.command, e.attempt, e.compensation])).toEqual([
      ["UndoA", 1, true],
    ]);
    expect(snap(driver).status).toBe("compensating");
    driver.reply("AUndone", { sagaId: SAGA });
    expect(snap(driver).status).toBe("compensated");
    expect(compensations(driver)).toEqual(["UndoB", "UndoA"]);
    const compensated = ofType(driver.effects(), "publish-event").filter(
      (e) => e.name === "saga.step.compensated",
    );
    expect(compensated.map((e) => e.step)).toEqual(["b", "a"]);
    expect(ofType(driver.effects(), "finish")).toEqual([{ type: "finish", status: "compensated" }]);
  });

  // Issue 9 point 11 replaced "any reply to a compensation completes it": that rule counted a
  // participant's failure reply as an undone effect.
  it("a compensation completes on a reply its command declares", () => {
    const driver = atDecide();
    driver.reply("Declined");
    driver.reply("BUndone", { sagaId: SAGA });
    expect(snap(driver).steps.b?.status).toBe("compensated");
    expect(snap(driver).state).toBe("compensate:a");
  });

  it("a failed compensation is not counted as done: it is retried, then parks the saga", () => {
    const driver = atDecide();
    driver.reply("Declined");
    const failed = driver.reply("CommandFailed", { code: "LEDGER_DOWN", message: "ledger down" });
    expect(snap(driver).steps.b?.status).toBe("compensating");
    expect(snap(driver).status).toBe("compensating");
    expect(snap(driver).steps.b?.lastError).toEqual({
      code: "LEDGER_DOWN",
      message: "ledger down",
    });
    expect(ofType(failed.effects, "publish-event").map((e) => e.name)).toEqual([
      "saga.step.retrying",
    ]);
    driver.reply("SomethingElse", { code: "WHATEVER" }, { attempt: 1 });
    expect(snap(driver).steps.b?.status).toBe("compensating");
    // Every later attempt fails the same way until the compensation's retry budget is spent.
    for (let round = 0; round < 100 && snap(driver).status === "compensating"; round++) {
      driver.fireNext();
      if (activeWork(snap(driver))?.waitingFor === "reply") {
        driver.reply("CommandFailed", { code: "LEDGER_DOWN", message: "ledger down" });
      }
    }
    expect(snap(driver).status).toBe("needs-intervention");
    expect(snap(driver).steps.b?.status).toBe("compensating");
    expect(compensations(driver).every((command) => command === "UndoB")).toBe(true);
  });

  it("records the participant's code and message once a step's retries are used up (issue 9 point 9)", () => {
    const driver = throughA(started());
    for (let round = 0; round < 20 && snap(driver).steps.b?.status !== "failed"; round++) {
      if (activeWork(snap(driver))?.waitingFor === "reply") {
        driver.reply("CommandFailed", { code: "B_BROKEN_NOW", message: "the b store is down" });
      } else {
        driver.fireNext();
      }
    }
    expect(snap(driver).failure).toMatchObject({
      step: "b",
      kind: "exhausted",
      code: "B_BROKEN_NOW",
      message: "the b store is down",
    });
    expect(snap(driver).steps.b?.lastError).toEqual({
      code: "B_BROKEN_NOW",
      message: "the b store is down",
    });
  });

  it("a compensation can map from the failure that started it", () => {
    const definition: Loose = fixtureDefinition();
    definition.steps[1].compensation.payload = { sagaId: "$.sagaId", reason: "$.failure.code" };
    const shop = fixtureContracts.shop?.commands ?? {};
    const saga = compileSagaOrThrow(definition, {
      contracts: {
        ...fixtureContracts,
        shop: {
          commands: {
            ...shop,
            UndoA: {
              payload: z.object({ sagaId: z.string(), reason: z.string().nullable() }),
              replies: { AUndone: z.object({ sagaId: z.string() }) },
            },
          },
        },
      },
    });
    const driver = throughA(started(saga));
    driver.reply("BRefused");
    expect(sends(driver.effects()).at(-1)).toMatchObject({
      command: "UndoA",
      payload: { sagaId: SAGA, reason: "BRefused" },
    });
  });
});

describe("non-retryable failures take the failure edge", () => {
  it("an unexpected reply whose payload code is listed is non-retryable", () => {
    const driver = throughA(started());
    const result = driver.reply("Oops", { code: "B_BROKEN", message: "broken beyond repair" });
    expect(snap(driver).failure).toEqual({
      step: "b",
      kind: "non-retryable",
      code: "B_BROKEN",
      message: "broken beyond repair",
    });
    expect(ofType(result.effects, "schedule-timer").map((t) => t.event.type)).toEqual([
      "step-timeout",
    ]);
    expect(events(result.effects)).not.toContain("saga.step.retrying");
    // onFailure of b: compensation starts at a (b certainly did not apply).
    expect(sends(result.effects).map((e) => e.command)).toEqual(["UndoA"]);
  });

  it("a reply named like a listed failure is non-retryable", () => {
    const driver = throughA(started());
    driver.reply("B_BROKEN", {});
    expect(snap(driver).failure).toMatchObject({
      step: "b",
      kind: "non-retryable",
      code: "B_BROKEN",
    });
    expect(compensations(driver)).toEqual(["UndoA"]);
  });

  it("an unexpected reply with an unlisted code is retried", () => {
    const driver = throughA(started());
    const result = driver.reply("Oops", { code: "OTHER" });
    expect(snap(driver).status).toBe("running");
    expect(activeWork(snap(driver))).toMatchObject({
      step: "b",
      waitingFor: "retry-timer",
      attempt: 1,
    });
    expect(events(result.effects)).toEqual(["saga.step.retrying"]);
    expect(snap(driver).steps.b?.lastError).toEqual({
      code: "OTHER",
      message: "unexpected reply Oops",
    });
  });

  it("B_BROKEN is only non-retryable for the step that lists it", () => {
    const driver = started();
    driver.http(200, { id: "thing-1" });
    driver.reply("Oops", { code: "B_BROKEN" });
    expect(activeWork(snap(driver))).toMatchObject({ step: "a", waitingFor: "retry-timer" });
    expect(snap(driver).failure).toBeNull();
  });
});

describe("retries with exponential backoff, a cap and jitter", () => {
  it("a: 1 s, then 2 s, then exhausted after 3 attempts (jitter none)", () => {
    const driver = started();
    driver.http(200, { id: "thing-1" });
    const t1 = timeOut(driver);
    expect(driver.now.toISOString()).toBe(at(30_000));
    const retry1 = ofType(t1.effects, "schedule-timer");
    expect(retry1).toEqual([
      {
        type: "schedule-timer",
        timerId: retryTimer("a", 2),
        fireAt: at(31_000),
        event: { type: "retry-timer", step: "a", attempt: 2, compensation: false },
      },
    ]);
    expect(ofType(t1.effects, "publish-event")).toEqual([
      {
        type: "publish-event",
        name: "saga.step.retrying",
        step: "a",
        detail: {
          sagaId: SAGA,
          status: "running",
          attempt: 2,
          delayMs: 1000,
          code: "STEP_TIMEOUT",
          compensation: false,
        },
      },
    ]);
    expect(activeWork(snap(driver))).toMatchObject({
      step: "a",
      attempt: 1,
      waitingFor: "retry-timer",
      timerId: retryTimer("a", 2),
    });
    expect(snap(driver).steps.a?.lastError?.code).toBe("STEP_TIMEOUT");

    const r2 = fireRetry(driver);
    expect(sends(r2.effects)).toEqual([
      expect.objectContaining({ command: "ReserveA", attempt: 2, idempotencyKey: `${SAGA}:a` }),
    ]);
    expect(activeWork(snap(driver))).toMatchObject({ attempt: 2, waitingFor: "reply" });
    expect(snap(driver).steps.a?.attempts).toBe(2);

    const t2 = timeOut(driver);
    const fireAt = Date.parse(ofType(t2.effects, "schedule-timer")[0]?.fireAt ?? "");
    expect(fireAt - driver.now.getTime()).toBe(2000);
    fireRetry(driver);
    const t3 = timeOut(driver);
    expect(ofType(t3.effects, "schedule-timer").map((t) => t.event)).toEqual([
      { type: "step-timeout", step: "a", attempt: 1, compensation: true },
    ]);
    expect(snap(driver).failure).toMatchObject({
      step: "a",
      kind: "exhausted",
      code: "STEP_TIMEOUT",
    });
    expect(driver.commands(true)).toEqual(["ReserveA#1", "ReserveA#2", "ReserveA#3", "UndoA#1"]);
  });

  it("caps the delay at maxDelay", () => {
    const saga = variant((d) => {
      d.steps[1].retry.maxAttempts = 6;
    });
    const driver = started(saga);
    driver.http(200, { id: "thing-1" });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const result = timeOut(driver);
      const timer = ofType(result.effects, "schedule-timer")[0];
      delays.push(Date.parse(timer?.fireAt ?? "") - driver.now.getTime());
      fireRetry(driver);
    }
    expect(delays).toEqual([1000, 2000, 3000, 3000, 3000]);
  });

  it("finish: full jitter draws the delay from random, capped", () => {
    const driver = atFinish();
    let draws = 0;
    driver.random = () => {
      draws++;
      return 0.25;
    };
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const result = timeOut(driver);
      const timer = ofType(result.effects, "schedule-timer")[0];
      delays.push(Date.parse(timer?.fireAt ?? "") - driver.now.getTime());
      fireRetry(driver);
    }
    // floor(0.25 × min(60000, 1000 × 2^(n-1)))
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    expect(draws).toBe(9);
    driver.random = () => 0.9999;
    const result = timeOut(driver);
    const timer = ofType(result.effects, "schedule-timer")[0];
    expect(Date.parse(timer?.fireAt ?? "") - driver.now.getTime()).toBe(59_994);
  });

  it("a jitter of none never draws from random", () => {
    const driver = started();
    driver.random = () => {
      throw new Error("random must not be used");
    };
    driver.http(200, { id: "thing-1" });
    timeOut(driver);
    fireRetry(driver);
    expect(activeWork(snap(driver))?.attempt).toBe(2);
  });

  it("backoffDelayMs follows initial × rate^(n−1), capped, with full jitter uniform", () => {
    const policy = {
      maxAttempts: 5,
      initialDelayMs: 100,
      backoffRate: 3,
      maxDelayMs: 1000,
      jitter: "none" as const,
      nonRetryable: [],
    };
    expect([0, 1, 2, 3, 4].map((n) => backoffDelayMs(policy, n, () => 0))).toEqual([
      100, 100, 300, 900, 1000,
    ]);
    const full = { ...policy, jitter: "full" as const };
    expect(backoffDelayMs(full, 3, () => 0)).toBe(0);
    expect(backoffDelayMs(full, 3, () => 0.5)).toBe(450);
    expect(backoffDelayMs(full, 10, () => 0.999999)).toBe(999);
  });

  it("ignores stale retry timers: wrong attempt, duplicate, wrong kind, or while a reply is awaited", () => {
    const driver = started();
    driver.http(200, { id: "thing-1" });
    timeOut(driver);
    expectIgnored(
      driver,
      { type: "retry-timer", step: "a", attempt: 3, compensation: false },
      /ignored/,
    );
    expectIgnored(driver, { type: "retry-timer", step: "a", attempt: 1, compensation: false });
    expectIgnored(driver, { type: "retry-timer", step: "a", attempt: 2, compensation: true });
    expectIgnored(driver, { type: "retry-timer", step: "b", attempt: 2, compensation: false });
    const event: SagaEvent = { type: "retry-timer", step: "a", attempt: 2, compensation: false };
    expect(driver.apply(event).applied).toBe(true);
    // The same timer delivered twice (at-least-once timer poller).
    expectIgnored(driver, event, /late or duplicate/);
  });

  it("ignores a retry timer that fires while the attempt it follows is still in flight", () => {
    const driver = started();
    driver.http(200, { id: "thing-1" });
    expectIgnored(
      driver,
      { type: "retry-timer", step: "a", attempt: 2, compensation: false },
      /ignored/,
    );
    expect(driver.commands(true)).toEqual(["ReserveA#1"]);
  });

  it("ignores a step timeout of an older attempt", () => {
    const driver = started();
    driver.http(200, { id: "thing-1" });
    timeOut(driver);
    fireRetry(driver);
    expectIgnored(driver, { type: "step-timeout", step: "a", attempt: 1, compensation: false });
    expectIgnored(driver, { type: "step-timeout", step: "a", attempt: 2, compensation: true });
    expect(timeOut(driver).applied).toBe(true);
  });
});

describe("an exhausted forward step with a compensation compensates itself", () => {
  it("a timing out 3 times sends UndoA and ends compensated", () => {
    const driver = started();
    driver.http(200, { id: "thing-1" });
    timeOutAndRetry(driver, 2);
    const exhausted = timeOut(driver);
    expect(exhausted.note).toMatch(/exhausted/);
    expect(snap(driver).status).toBe("compensating");
    expect(snap(driver).state).toBe("compensate:a");
    expect(snap(driver).steps.a).toMatchObject({
      status: "compensating",
      attempts: 3,
      compensationAttempts: 1,
    });
    expect(events(exhausted.effects)).toEqual(["saga.step.failed"]);
    driver.reply("AUndone");
    expect(snap(driver).status).toBe("compensated");
    expect(compensations(driver)).toEqual(["UndoA"]);
  });

  it("b exhausted (two unexpected replies) compensates b, then a", () => {
    const driver = throughA(started());
    driver.reply("Huh");
    fireRetry(driver);
    driver.reply("Huh");
    expect(snap(driver).failure).toMatchObject({ step: "b", kind: "exhausted", code: "Huh" });
    undoBThenA(driver);
    expect(snap(driver).status).toBe("compensated");
  });

  it("the read-only check exhausted fails the saga without compensation", () => {
    const driver = started();
    driver.http(503);
    fireRetry(driver);
    driver.http(503);
    expect(snap(driver).status).toBe("failed");
    expect(snap(driver).failure).toMatchObject({
      step: "check",
      kind: "exhausted",
      code: "HTTP_503",
    });
    expect(sends(driver.effects())).toEqual([]);
  });
});

describe("an exhausted pivot needs intervention", () => {
  it("parks the saga instead of compensating", () => {
    const driver = atDecide();
    timeOutAndRetry(driver, 1);
    const result = timeOut(driver);
    expect(snap(driver).status).toBe("needs-intervention");
    expect(snap(driver).state).toBe("needs-intervention");
    expect(snap(driver).failure).toMatchObject({ step: "decide", kind: "exhausted" });
    expect(activeWork(snap(driver))).toMatchObject({
      step: "decide",
      attempt: 2,
      compensation: false,
      timerId: "",
    });
    expect(compensations(driver)).toEqual([]);
    expect(events(result.effects)).toEqual(["saga.step.failed", "saga.needs-intervention"]);
    expect(ofType(result.effects, "finish")).toEqual([]);
    // Parked: nothing but the saga deadline stays armed, and nothing wakes it.
    expect([...driver.timers.keys()]).toEqual([deadlineTimerId(SAGA)]);
    expectIgnored(driver, replyEvent("decide", "Decided", 2));
  });
});

describe("compensations are retried until they succeed, then need intervention", () => {
  it("UndoA is retried with its own backoff and the same key, then succeeds", () => {
    const driver = atDecide();
    driver.reply("Declined");
    driver.reply("BUndone");
    const t1 = timeOut(driver);
    expect(ofType(t1.effects, "schedule-timer")).toEqual([
      expect.objectContaining({
        timerId: retryTimer("a", 2, true),
        event: { type: "retry-timer", step: "a", attempt: 2, compensation: true },
      }),
    ]);
    expect(
      Date.parse(ofType(t1.effects, "schedule-timer")[0]?.fireAt ?? "") - driver.now.getTime(),
    ).toBe(1000);
    expect(snap(driver).status).toBe("compensating");
    fireRetry(driver);
    driver.reply("AUndone");
    expect(snap(driver).status).toBe("compensated");
    expect(
      sends(driver.effects())
        .filter((e) => e.compensation)
        .map((e) => [e.command, e.attempt, e.idempotencyKey]),
    ).toEqual([
      ["UndoB", 1, `${SAGA}:b:compensation`],
      ["UndoA", 1, `${SAGA}:a:compensation`],
      ["UndoA", 2, `${SAGA}:a:compensation`],
    ]);
  });

  it("UndoA failing 3 times parks the saga", () => {
    const driver = throughA(started());
    driver.reply("BRefused");
    timeOutAndRetry(driver, 2);
    const last = timeOut(driver);
    expect(snap(driver).status).toBe("needs-intervention");
    expect(activeWork(snap(driver))).toMatchObject({
      step: "a",
      compensation: true,
      attempt: 3,
      timerId: "",
    });
    expect(snap(driver).steps.a).toMatchObject({ status: "compensating", compensationAttempts: 3 });
    expect(events(last.effects)).toEqual(["saga.step.failed", "saga.needs-intervention"]);
    expect(ofType(last.effects, "publish-event")[0]?.detail).toMatchObject({
      compensation: true,
      code: "STEP_TIMEOUT",
    });
    expect(ofType(last.effects, "finish")).toEqual([]);
    expect(compensations(driver)).toEqual(["UndoA", "UndoA", "UndoA"]);
  });

  it("b's compensation uses the defaults: 20 attempts with full jitter", () => {
    const driver = atDecide();
    driver.random = () => 0.5;
    driver.reply("Declined");
    const delays: number[] = [];
    for (let i = 0; i < 19; i++) {
      const result = timeOut(driver);
      const timer = ofType(result.effects, "schedule-timer")[0];
      delays.push(Date.parse(timer?.fireAt ?? "") - driver.now.getTime());
      fireRetry(driver);
    }
    expect(delays.slice(0, 5)).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(Math.max(...delays)).toBe(150_000);
    expect(activeWork(snap(driver))).toMatchObject({ step: "b", compensation: true, attempt: 20 });
    timeOut(driver);
    expect(snap(driver).status).toBe("needs-intervention");
    expect(compensations(driver)).toEqual(Array(20).fill("UndoB"));
  });
});

describe("late and duplicate replies", () => {
  it("a reply after its attempt timed out is ignored and noted as late", () => {
    const driver = started();
    driver.http(200, { id: "thing-1" });
    timeOut(driver);
    const result = expectIgnored(driver, replyEvent("a", "ADone"), /late/);
    expect(result.note).toMatch(/a attempt 1/);
    fireRetry(driver);
    // Still late once attempt 2 is in flight.
    expectIgnored(driver, replyEvent("a", "ADone"), /late/);
    expect(driver.reply("ADone").applied).toBe(true);
    expect(activeWork(snap(driver))?.step).toBe("b");
  });

  it("a late HTTP response or failure is ignored", () => {
    const driver = started();
    driver.http(503);
    fireRetry(driver);
    expectIgnored(driver, {
      type: "http-response",
      step: "check",
      attempt: 1,
      status: 200,
      body: {},
    });
    expectIgnored(driver, {
      type: "http-failure",
      step: "check",
      attempt: 1,
      code: "ECONNRESET",
      message: "x",
    });
  });

  it("a late business failure after a timeout does not start compensation", () => {
    const driver = throughA(started());
    timeOut(driver);
    expectIgnored(driver, replyEvent("b", "BRefused"));
    expect(compensations(driver)).toEqual([]);
  });

  it("a duplicate reply has no second effect", () => {
    const driver = started();
    driver.http(200, { id: "thing-1" });
    const first = driver.reply("ADone");
    expect(first.applied).toBe(true);
    const duplicate: SagaEvent = replyEvent("a", "ADone");
    expectIgnored(driver, duplicate, /late or duplicate/);
    expectIgnored(driver, {
      type: "http-response",
      step: "check",
      attempt: 1,
      status: 200,
      body: {},
    });
    expect(driver.commands()).toEqual(["ReserveA", "ReserveB"]);
  });

  it("a duplicate compensation reply has no second effect", () => {
    const driver = atDecide();
    driver.reply("Declined");
    const undone: SagaEvent = replyEvent("b", "BUndone", 1, true);
    expect(driver.apply(undone).applied).toBe(true);
    expectIgnored(driver, undone);
    driver.reply("AUndone");
    expectIgnored(driver, undone, /compensated/);
    expectIgnored(driver, replyEvent("a", "AUndone", 1, true));
  });

  it("a forward reply is not taken for a compensation reply, nor the reverse", () => {
    const driver = atDecide();
    driver.reply("Declined");
    expectIgnored(driver, replyEvent("b", "BDone"));
    const forward = throughA(started());
    expectIgnored(forward, replyEvent("b", "BUndone", 1, true));
  });

  it("replies after the saga ended are ignored", () => {
    const driver = atFinish();
    driver.reply("Finished");
    expectIgnored(driver, replyEvent("finish", "Finished"), /completed/);
    expectIgnored(driver, {
      type: "step-timeout",
      step: "finish",
      attempt: 1,
      compensation: false,
    });
  });
});

describe("the pivot: once it succeeded nothing is compensated", () => {
  it("finish is retried without limit, whatever fails", () => {
    const driver = atFinish();
    for (let i = 0; i < 40; i++) {
      if (i % 2 === 0) timeOut(driver);
      else driver.reply("Broken", { code: "B_BROKEN" });
      expect(snap(driver).status).toBe("running");
      fireRetry(driver);
    }
    expect(activeWork(snap(driver))).toMatchObject({ step: "finish", attempt: 41, attemptBase: 0 });
    expect(compensations(driver)).toEqual([]);
    driver.reply("Finished");
    expect(snap(driver).status).toBe("completed");
    expect(snap(driver).steps.a?.status).toBe("succeeded");
  });

  it("refuses an operator's compensate with PIVOT_PASSED", () => {
    const driver = atFinish();
    expectRefused(driver, { action: "compensate" }, "PIVOT_PASSED");
    timeOut(driver);
    expectRefused(driver, { action: "compensate" }, "PIVOT_PASSED");
  });

  it("refuses to skip the pivot with PIVOT_NOT_SKIPPABLE, in flight or parked, output or not", () => {
    const driver = atDecide();
    expectRefused(driver, { action: "skip", output: { sagaId: SAGA } }, "PIVOT_NOT_SKIPPABLE");
    expectRefused(driver, { action: "skip", output: "not an object" }, "PIVOT_NOT_SKIPPABLE");
    const refused = operator(driver, { action: "skip", output: { sagaId: SAGA } });
    expect(refused.refused?.message).toMatch(/decide.*pivot.*Retry it/);
    expect(snap(driver).pivotPassed).toBe(false);
    expect(snap(driver).steps.decide?.status).not.toBe("skipped");
    // Parked at the pivot (its retries ran out): still not skippable; retry still works.
    timeOutAndRetry(driver, 1);
    timeOut(driver);
    expect(snap(driver)).toMatchObject({
      status: "needs-intervention",
      pending: { decide: { step: "decide" } },
    });
    expectRefused(driver, { action: "skip", output: { sagaId: SAGA } }, "PIVOT_NOT_SKIPPABLE");
    operator(driver, { action: "retry" });
    driver.reply("Decided", { sagaId: SAGA });
    expect(snap(driver).pivotPassed).toBe(true);
  });
});

describe("the saga deadline", () => {
  const deadline: SagaEvent = { type: "saga-deadline" };

  it("before the pivot, takes the exhausted edge of the step in flight (a compensates itself)", () => {
    const driver = started();
    driver.http(200, { id: "thing-1" });
    driver.now = new Date(T0 + 600_000);
    const result = fireDeadline(driver);
    expect(result.applied).toBe(true);
    expect(ofType(result.effects, "cancel-timer")).toEqual([
      { type: "cancel-timer", timerId: timeoutTimer("a", 1) },
    ]);
    expect(snap(driver).failure).toEqual({
      step: "a",
      kind: "deadline",
      code: "SAGA_DEADLINE",
      message: "the saga's deadline passed",
    });
    expect(sends(result.effects).map((e) => [e.command, e.compensation])).toEqual([
      ["UndoA", true],
    ]);
    expect(snap(driver).status).toBe("compensating");
    driver.reply("AUndone");
    expect(snap(driver).status).toBe("compensated");
  });

  it("before the pivot, while waiting for a retry timer, cancels it and compensates b then a", () => {
    const driver = throughA(started());
    timeOut(driver);
    const retry = activeWork(snap(driver))?.timerId;
    const result = fireDeadline(driver);
    expect(ofType(result.effects, "cancel-timer")).toEqual([
      { type: "cancel-timer", timerId: retry },
    ]);
    expect(driver.timers.has(retry ?? "")).toBe(false);
    undoBThenA(driver);
  });

  it("during the read-only check, fails the saga", () => {
    const driver = started();
    fireDeadline(driver);
    expect(snap(driver).status).toBe("failed");
    expect(sends(driver.effects())).toEqual([]);
  });

  it("marks the step it interrupted as failed, like an exhausted one", () => {
    const driver = started();
    fireDeadline(driver);
    expect(snap(driver).status).toBe("failed");
    // A failed saga must not show a step still running.
    expect(snap(driver).steps.check?.status).toBe("failed");
  });

  it("while the pivot is in flight, parks the saga (the pivot's exhausted edge)", () => {
    const driver = atDecide();
    fireDeadline(driver);
    expect(snap(driver).status).toBe("needs-intervention");
    expect(compensations(driver)).toEqual([]);
  });

  it("after the pivot, publishes saga.deadline-passed and changes nothing else", () => {
    const driver = atFinish();
    const before = structuredClone(snap(driver));
    const result = fireDeadline(driver);
    expect(result.applied).toBe(true);
    expect(result.effects).toEqual([
      {
        type: "publish-event",
        name: "saga.deadline-passed",
        step: "finish",
        detail: { sagaId: SAGA, status: "running" },
      },
    ]);
    expect({ ...snap(driver), seq: 0, updatedAt: "" }).toEqual({
      ...before,
      seq: 0,
      updatedAt: "",
    });
    expect(driver.timers.has(activeWork(before)?.timerId ?? "")).toBe(true);
    driver.reply("Finished");
    expect(snap(driver).status).toBe("completed");
  });

  it("is ignored while compensating", () => {
    const driver = atDecide();
    driver.reply("Declined");
    expectIgnored(driver, deadline, /compensating/);
  });

  it("is ignored when the saga needs intervention or has ended", () => {
    const parked = atDecide();
    timeOutAndRetry(parked, 1);
    timeOut(parked);
    expectIgnored(parked, deadline);
    const done = atFinish();
    done.reply("Finished");
    expectIgnored(done, deadline, /completed/);
  });

  it("is armed at start for the saga's timeout and fires from the timer table", () => {
    const driver = throughA(started());
    expect(driver.timers.get(deadlineTimerId(SAGA))?.fireAt).toBe(at(600_000));
    // b never answers: it times out twice (30 s + 1 s + 30 s), then UndoB never answers either.
    driver.now = new Date(T0 + 599_999);
    driver.timers.delete(timeoutTimer("b", 1));
    const fired = driver.advance(1);
    expect(fired.map((r) => r.applied)).toEqual([true]);
    expect(snap(driver).failure?.kind).toBe("deadline");
    expect(compensations(driver)).toEqual(["UndoB"]);
  });
});

describe("HTTP steps", () => {
  it.each([500, 502, 503, 504])("HTTP %i is retried", (status) => {
    const driver = started();
    const result = driver.http(status, { message: "upstream down" });
    expect(activeWork(snap(driver))).toMatchObject({ step: "check", waitingFor: "retry-timer" });
    expect(snap(driver).steps.check?.lastError).toEqual({
      code: `HTTP_${status}`,
      message: "upstream down",
    });
    expect(events(result.effects)).toEqual(["saga.step.retrying"]);
    const next = fireRetry(driver);
    expect(ofType(next.effects, "call-http")).toEqual([
      expect.objectContaining({
        attempt: 2,
        path: "/things/thing-1",
        idempotencyKey: `${SAGA}:check`,
      }),
    ]);
    driver.http(200, { id: "thing-1" });
    expect(activeWork(snap(driver))?.step).toBe("a");
  });

  it("a network failure is retried", () => {
    const driver = started();
    driver.apply({
      type: "http-failure",
      step: "check",
      attempt: 1,
      code: "ECONNREFUSED",
      message: "refused",
    });
    expect(activeWork(snap(driver))).toMatchObject({ step: "check", waitingFor: "retry-timer" });
    expect(snap(driver).steps.check?.lastError).toEqual({
      code: "ECONNREFUSED",
      message: "refused",
    });
  });

  it("a timeout of an HTTP step is retried", () => {
    const driver = started();
    const result = timeOut(driver);
    expect(result.note).toMatch(/STEP_TIMEOUT/);
    expect(activeWork(snap(driver))).toMatchObject({ step: "check", waitingFor: "retry-timer" });
  });

  it.each([400, 401, 403, 409, 422])("an unmapped HTTP %i is not retried", (status) => {
    const driver = started();
    driver.http(status, { message: "bad request" });
    expect(snap(driver).status).toBe("failed");
    expect(snap(driver).failure).toEqual({
      step: "check",
      kind: "non-retryable",
      code: `HTTP_${status}`,
      message: "bad request",
    });
  });

  it("a body without a message falls back to the status", () => {
    const driver = started();
    driver.http(418, "teapot");
    expect(snap(driver).failure?.message).toBe("HTTP 418");
  });
});

describe("operator: retry", () => {
  it("runs a stuck compensation again with a full new budget", () => {
    const driver = throughA(started());
    driver.reply("BRefused");
    timeOutAndRetry(driver, 2);
    timeOut(driver);
    expect(snap(driver).status).toBe("needs-intervention");

    const result = operator(driver, { action: "retry" });
    expect(result.applied).toBe(true);
    expect(result.note).toMatch(/ops@example.com/);
    expect(snap(driver).status).toBe("compensating");
    expect(snap(driver).state).toBe("compensate:a");
    expect(activeWork(snap(driver))).toMatchObject({
      step: "a",
      compensation: true,
      attempt: 4,
      attemptBase: 3,
      waitingFor: "reply",
    });
    expect(sends(result.effects)).toEqual([
      expect.objectContaining({
        command: "UndoA",
        attempt: 4,
        compensation: true,
        idempotencyKey: `${SAGA}:a:compensation`,
      }),
    ]);
    // A fresh budget: the first retry waits the initial delay again, and 3 attempts are allowed.
    const t4 = timeOut(driver);
    expect(
      Date.parse(ofType(t4.effects, "schedule-timer")[0]?.fireAt ?? "") - driver.now.getTime(),
    ).toBe(1000);
    fireRetry(driver);
    timeOutAndRetry(driver, 1);
    expect(activeWork(snap(driver))?.attempt).toBe(6);
    timeOut(driver);
    expect(snap(driver).status).toBe("needs-intervention");
    operator(driver, { action: "retry" });
    driver.reply("AUndone");
    expect(snap(driver).status).toBe("compensated");
    expect(driver.commands(true).filter((c) => c.startsWith("UndoA"))).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => `UndoA#${n}`),
    );
  });

  it("runs an exhausted pivot again", () => {
    const driver = atDecide();
    timeOutAndRetry(driver, 1);
    timeOut(driver);
    operator(driver, { action: "retry" });
    expect(snap(driver).status).toBe("running");
    expect(snap(driver).state).toBe("step:decide");
    expect(activeWork(snap(driver))).toMatchObject({ step: "decide", attempt: 3, attemptBase: 2 });
    driver.reply("Decided");
    driver.reply("Finished");
    expect(snap(driver).status).toBe("completed");
  });

  it("a saga that completes after an operator's retry reports no failure", () => {
    const driver = atDecide();
    timeOutAndRetry(driver, 1);
    timeOut(driver);
    operator(driver, { action: "retry" });
    driver.reply("Decided");
    const done = driver.reply("Finished");
    expect(snap(driver).status).toBe("completed");
    // `failure` says why compensation started or why the saga stopped; neither happened.
    expect(ofType(done.effects, "publish-event").at(-1)).toMatchObject({
      name: "saga.completed",
      detail: { failure: null },
    });
    expect(snap(driver).failure).toBeNull();
  });

  it("while a reply is awaited, cancels its timeout and starts the next attempt", () => {
    const driver = throughA(started());
    const result = operator(driver, { action: "retry" });
    expect(ofType(result.effects, "cancel-timer")).toEqual([
      { type: "cancel-timer", timerId: timeoutTimer("b", 1) },
    ]);
    expect(sends(result.effects)).toEqual([
      expect.objectContaining({ command: "ReserveB", attempt: 2 }),
    ]);
    expect(driver.timers.has(timeoutTimer("b", 1))).toBe(false);
    expectIgnored(driver, replyEvent("b", "BDone"));
  });

  it("while a retry timer is armed, cancels it and starts the next attempt now", () => {
    const driver = throughA(started());
    timeOut(driver);
    const result = operator(driver, { action: "retry" });
    expect(ofType(result.effects, "cancel-timer")).toEqual([
      { type: "cancel-timer", timerId: retryTimer("b", 2) },
    ]);
    expect(sends(result.effects)).toEqual([
      expect.objectContaining({ command: "ReserveB", attempt: 2 }),
    ]);
    expectIgnored(driver, { type: "retry-timer", step: "b", attempt: 2, compensation: false });
  });
});

describe("operator: skip", () => {
  const contracts = {
    ...fixtureContracts,
    shop: {
      commands: {
        ...fixtureContracts.shop?.commands,
        ReserveA: {
          payload: z.object({ sagaId: z.string(), thing: z.string() }),
          replies: { ADone: z.object({ sagaId: z.string(), token: z.string() }) },
        },
        ReserveB: {
          payload: z.object({ sagaId: z.string(), token: z.string() }),
          replies: {
            BDone: z.object({ sagaId: z.string() }),
            BRefused: z.object({ sagaId: z.string() }),
          },
          errors: ["B_BROKEN"],
        },
      },
    },
  };
  const mapping = (() => {
    const definition: Loose = fixtureDefinition();
    definition.steps[1].payload = { sagaId: "$.sagaId", thing: "$.steps.check.response.body.id" };
    definition.steps[2].payload = { sagaId: "$.sagaId", token: "$.steps.a.reply.token" };
    return compileSagaOrThrow(definition, { contracts });
  })();

  it("later steps map from a normal output", () => {
    const driver = started(mapping);
    const r1 = driver.http(200, { id: "thing-9" });
    expect(sends(r1.effects)[0]?.payload).toEqual({ sagaId: SAGA, thing: "thing-9" });
    const r2 = driver.reply("ADone", { sagaId: SAGA, token: "tok-1" });
    expect(sends(r2.effects)[0]?.payload).toEqual({ sagaId: SAGA, token: "tok-1" });
  });

  it("skips a forward step waiting to retry; later steps map from the supplied output", () => {
    const driver = started(mapping);
    driver.http(200, { id: "thing-9" });
    timeOut(driver);
    const result = operator(driver, { action: "skip", output: { sagaId: SAGA, token: "by-hand" } });
    expect(result.applied).toBe(true);
    expect(ofType(result.effects, "cancel-timer")).toEqual([
      { type: "cancel-timer", timerId: retryTimer("a", 2) },
    ]);
    expect(ofType(result.effects, "publish-event")[0]).toMatchObject({
      name: "saga.step.completed",
      step: "a",
      detail: { skipped: true },
    });
    expect(sends(result.effects)).toEqual([
      expect.objectContaining({ command: "ReserveB", payload: { sagaId: SAGA, token: "by-hand" } }),
    ]);
    expect(snap(driver).steps.a).toMatchObject({
      status: "skipped",
      output: { sagaId: SAGA, token: "by-hand" },
    });
  });

  it("skipping an HTTP step records the output as the response body", () => {
    const driver = started(mapping);
    timeOut(driver);
    const result = operator(driver, { action: "skip", output: { id: "manual" } });
    expect(snap(driver).steps.check?.output).toEqual({ status: 200, body: { id: "manual" } });
    expect(sends(result.effects)[0]?.payload).toEqual({ sagaId: SAGA, thing: "manual" });
  });

  it.each([null, "text", 3, [1, 2]] as JsonValue[])(
    "refuses a forward skip whose output is %j",
    (output) => {
      const driver = throughA(started());
      timeOut(driver);
      expectRefused(driver, { action: "skip", output }, "SKIP_OUTPUT_INVALID");
    },
  );

  it("skipping a stuck compensation marks it done and carries on compensating", () => {
    const driver = atDecide();
    driver.reply("Declined");
    timeOutAndRetry(driver, 19);
    timeOut(driver);
    expect(snap(driver).status).toBe("needs-intervention");
    expect(activeWork(snap(driver))).toMatchObject({ step: "b", compensation: true });
    const result = operator(driver, { action: "skip", output: null });
    expect(result.applied).toBe(true);
    expect(snap(driver).steps.b?.status).toBe("compensated");
    expect(snap(driver).status).toBe("compensating");
    expect(sends(result.effects).map((e) => e.command)).toEqual(["UndoA"]);
    driver.reply("AUndone");
    expect(snap(driver).status).toBe("compensated");
  });

  it("skipping the last stuck compensation ends the saga compensated", () => {
    const driver = throughA(started());
    driver.reply("BRefused");
    timeOutAndRetry(driver, 2);
    timeOut(driver);
    const result = operator(driver, { action: "skip", output: {} });
    expect(snap(driver).status).toBe("compensated");
    expect(ofType(result.effects, "finish")).toEqual([{ type: "finish", status: "compensated" }]);
    expect(activeWork(snap(driver))).toBeNull();
  });
});

describe("operator: compensate", () => {
  it("is allowed before the pivot: the step in flight takes its exhausted edge", () => {
    const driver = throughA(started());
    const result = operator(driver, { action: "compensate" });
    expect(result.applied).toBe(true);
    expect(snap(driver).failure).toEqual({
      step: "b",
      kind: "operator",
      code: "FORCED_COMPENSATION",
      message: "ticket-42",
    });
    expect(ofType(result.effects, "cancel-timer")).toEqual([
      { type: "cancel-timer", timerId: timeoutTimer("b", 1) },
    ]);
    undoBThenA(driver);
    expect(snap(driver).status).toBe("compensated");
  });

  it("during the read-only check ends the saga failed (nothing to undo)", () => {
    const driver = started();
    operator(driver, { action: "compensate" });
    expect(snap(driver).status).toBe("failed");
    expect(sends(driver.effects())).toEqual([]);
  });

  it("at the pivot in flight (not yet passed), stated not applied, compensates b, then a", () => {
    const driver = atDecide();
    const result = operator(driver, { action: "compensate", pivotOutcome: "not-applied" });
    expect(result.refused).toBeUndefined();
    expect(snap(driver).status).toBe("compensating");
    expect(compensations(driver)).toEqual(["UndoB"]);
  });

  it("at a parked pivot (exhausted), stated not applied, compensates b, then a", () => {
    const driver = atDecide();
    timeOutAndRetry(driver, 1);
    timeOut(driver);
    expect(snap(driver).status).toBe("needs-intervention");
    const result = operator(driver, { action: "compensate", pivotOutcome: "not-applied" });
    expect(result.refused).toBeUndefined();
    expect(snap(driver).status).toBe("compensating");
    expect(compensations(driver)).toEqual(["UndoB"]);
  });

  it("is refused while compensating, and for a parked compensation", () => {
    const driver = throughA(started());
    driver.reply("BRefused");
    expectRefused(driver, { action: "compensate" }, "ALREADY_COMPENSATING");
    timeOutAndRetry(driver, 2);
    timeOut(driver);
    expectRefused(driver, { action: "compensate" }, "NOTHING_TO_COMPENSATE");
  });

  it("is refused after the pivot", () => {
    expectRefused(atFinish(), { action: "compensate" }, "PIVOT_PASSED");
  });
});

describe("operator: resolve", () => {
  it("ends a parked saga resolved", () => {
    const driver = atDecide();
    timeOutAndRetry(driver, 1);
    timeOut(driver);
    const result = operator(driver, { action: "resolve" });
    expect(result.applied).toBe(true);
    expect(result.effects).toEqual([
      { type: "cancel-timer", timerId: deadlineTimerId(SAGA) },
      {
        type: "publish-event",
        name: "saga.resolved",
        step: null,
        detail: { sagaId: SAGA, status: "resolved", actor: "ops@example.com", reason: "ticket-42" },
      },
      { type: "finish", status: "resolved" },
    ]);
    expect(snap(driver).status).toBe("resolved");
    expect(activeWork(snap(driver))).toBeNull();
    expect(driver.timers.size).toBe(0);
  });

  it("is refused with NOT_PARKED unless the saga needs intervention", () => {
    const running = throughA(started());
    expectRefused(running, { action: "resolve" }, "NOT_PARKED");
    running.reply("BRefused");
    expectRefused(running, { action: "resolve" }, "NOT_PARKED");
    expectRefused(atFinish(), { action: "resolve" }, "NOT_PARKED");
  });
});

describe("operator actions on an ended saga", () => {
  const ended: Record<string, () => SagaDriver> = {
    completed: () => {
      const driver = atFinish();
      driver.reply("Finished");
      return driver;
    },
    compensated: () => {
      const driver = throughA(started());
      driver.reply("BRefused");
      driver.reply("AUndone");
      return driver;
    },
    failed: () => {
      const driver = started();
      driver.http(404);
      return driver;
    },
    resolved: () => {
      const driver = atDecide();
      timeOutAndRetry(driver, 1);
      timeOut(driver);
      operator(driver, { action: "resolve" });
      return driver;
    },
  };
  const actions: ActionInput[] = [
    { action: "retry" },
    { action: "skip", output: {} },
    { action: "compensate" },
    { action: "resolve" },
  ];
  for (const [status, make] of Object.entries(ended)) {
    it.each(actions)(`refuses %o on a ${status} saga with SAGA_TERMINAL`, (action) => {
      const driver = make();
      expect(snap(driver).status).toBe(status);
      expectRefused(driver, action, "SAGA_TERMINAL");
    });
  }
});

describe("determinism and purity", () => {
  /** A scripted run with jitter, restarts and operator actions, through `transition` directly. */
  function script(random: () => number): TransitionResult[] {
    const events: SagaEvent[] = [
      { type: "start", sagaId: SAGA, input: { id: "thing-1" } },
      { type: "http-response", step: "check", attempt: 1, status: 503, body: {} },
      { type: "retry-timer", step: "check", attempt: 2, compensation: false },
      { type: "http-response", step: "check", attempt: 2, status: 200, body: { id: "thing-1" } },
      replyEvent("a", "ADone"),
      replyEvent("b", "BDone"),
      replyEvent("decide", "Decided"),
      { type: "step-timeout", step: "finish", attempt: 1, compensation: false },
      { type: "saga-deadline" },
      { type: "retry-timer", step: "finish", attempt: 2, compensation: false },
      {
        type: "operator",
        actor: "me",
        reason: "r",
        action: "compensate",
        expected: { step: "finish", attempt: 2, compensation: false },
      },
      replyEvent("finish", "Finished", 2),
    ];
    let snapshot: SagaSnapshot | null = null;
    const results: TransitionResult[] = [];
    events.forEach((event, index) => {
      const result = transition(compiled, snapshot, event, {
        now: new Date(T0 + index * 1000),
        random,
      });
      results.push(result);
      snapshot = result.snapshot;
    });
    return results;
  }

  it("gives deeply equal results for the same inputs", () => {
    const seeded = () => {
      let x = 1;
      return () => {
        x = (x * 48271) % 2147483647;
        return x / 2147483647;
      };
    };
    const first = script(seeded());
    const second = script(seeded());
    expect(second).toEqual(first);
    expect(first.at(-1)?.snapshot.status).toBe("completed");
  });

  it("never mutates its inputs (deep-frozen snapshot, event, definition and context)", () => {
    const saga = deepFreeze(compileFixture());
    let snapshot: SagaSnapshot | null = null;
    const now = new Date(T0);
    const events: SagaEvent[] = [
      { type: "start", sagaId: SAGA, input: { id: "thing-1" } },
      { type: "http-response", step: "check", attempt: 1, status: 200, body: { id: "thing-1" } },
      {
        type: "reply",
        step: "a",
        attempt: 1,
        compensation: false,
        causationId: cause("a", 1, false),
        name: "ADone",
        payload: { x: [1] },
      },
      { type: "step-timeout", step: "b", attempt: 1, compensation: false },
      replyEvent("b", "BDone"),
      { type: "retry-timer", step: "b", attempt: 2, compensation: false },
      replyEvent("b", "BDone", 2),
      replyEvent("decide", "Declined"),
      { type: "step-timeout", step: "b", attempt: 1, compensation: true },
      {
        type: "operator",
        actor: "me",
        reason: "r",
        action: "retry",
        expected: { step: "b", attempt: 1, compensation: true },
      },
      { type: "saga-deadline" },
      replyEvent("b", "BUndone", 2, true),
      replyEvent("a", "AUndone", 1, true),
      { type: "operator", actor: "me", reason: "r", action: "resolve" },
    ];
    const statuses: string[] = [];
    for (const event of events) {
      const frozen = deepFreeze(structuredClone(snapshot));
      const copy = structuredClone(frozen);
      const result = transition(saga, frozen, deepFreeze(event), { now, random: () => 0.5 });
      expect(frozen).toEqual(copy);
      snapshot = result.snapshot;
      statuses.push(`${result.applied}:${result.snapshot.status}`);
    }
    expect(statuses.at(-1)).toBe("false:compensated");
    expect(now.getTime()).toBe(T0);
  });

  it("an ignored event returns a snapshot equal to the input", () => {
    const snapshot = snap(throughA(started()));
    const result = transition(
      compiled,
      snapshot,
      { type: "saga-deadline" },
      { now: new Date(T0 + 600_000), random: () => 0 },
    );
    expect(result.applied).toBe(true);
    const late = transition(compiled, snapshot, replyEvent("a", "ADone"), {
      now: new Date(T0),
      random: () => 0,
    });
    expect(late.applied).toBe(false);
    expect(late.snapshot).toEqual(snapshot);
  });

  it("continues identically from a JSON round-trip of the snapshot (a restart)", () => {
    const live = atDecide();
    const stored = atDecide();
    stored.snapshot = JSON.parse(JSON.stringify(stored.snapshot));
    for (const d of [live, stored]) {
      timeOut(d);
      fireRetry(d);
      d.reply("Decided");
    }
    expect(stored.snapshot).toEqual(live.snapshot);
    expect(stored.results.at(-1)).toEqual(live.results.at(-1));
  });
});

describe("the deadline across operator actions (issue 9 point 12)", () => {
  function parkedAtDecide(): SagaDriver {
    const driver = atDecide();
    // Nobody answers the pivot: its timeouts and retries run out before the 10-minute deadline.
    for (let round = 0; round < 10 && snap(driver).status !== "needs-intervention"; round++) {
      driver.fireNext();
    }
    expect(snap(driver).status).toBe("needs-intervention");
    return driver;
  }
  const retry = (driver: SagaDriver) =>
    ({
      type: "operator",
      actor: "ops",
      reason: "try again",
      action: "retry",
      expected: seen(driver),
    }) as const;

  it("re-arms a deadline that fired while the saga was parked, with a fresh window", () => {
    const driver = parkedAtDecide();
    expect([...driver.timers.keys()]).toEqual([deadlineTimerId(SAGA)]);
    const fired = driver.fireNext();
    expect(fired?.applied).toBe(false);
    expect(driver.timers.size).toBe(0);
    driver.now = new Date(driver.now.getTime() + 1_000);
    const result = driver.apply(retry(driver));
    expect(result.applied).toBe(true);
    const deadline = ofType(result.effects, "schedule-timer").find(
      (timer) => timer.timerId === deadlineTimerId(SAGA),
    );
    expect(deadline?.fireAt).toBe(new Date(driver.now.getTime() + 10 * 60_000).toISOString());
    expect(snap(driver).deadlineAt).toBe(deadline?.fireAt);
    // The new deadline acts: nobody answers the pivot, it fires and takes the pivot's
    // exhausted edge (an operator decides), instead of being ignored.
    driver.now = new Date(Date.parse(deadline?.fireAt as string));
    expect(driver.apply({ type: "saga-deadline" }).applied).toBe(true);
    expect(snap(driver).failure?.kind).toBe("deadline");
  });

  it("keeps a deadline still ahead at its time when an operator retries", () => {
    const driver = parkedAtDecide();
    const before = snap(driver).deadlineAt;
    const result = driver.apply(retry(driver));
    const deadline = ofType(result.effects, "schedule-timer").find(
      (timer) => timer.timerId === deadlineTimerId(SAGA),
    );
    expect(deadline?.fireAt).toBe(before);
    expect(snap(driver).deadlineAt).toBe(before);
  });
});

describe("operator actions name what they expect", () => {
  const moved = (driver: SagaDriver, action: OperatorAction) => {
    const before = structuredClone(snap(driver));
    const result = driver.apply({
      type: "operator",
      actor: "ops",
      reason: "stale view",
      ...action,
    });
    expect(result.applied).toBe(false);
    expect(result.refused?.code).toBe("SAGA_MOVED_ON");
    // The refusal says what the saga is doing now, so the operator can look again.
    expect(result.refused?.message).toMatch(/now/);
    expect(snap(driver)).toEqual(before);
    return result;
  };

  it("a skip meant for a parked step does not land on the next step after the saga moved on", () => {
    const driver = atFinish();
    timeOut(driver);
    // The operator saw `finish` attempt 2 pending; meanwhile the retry ran and the saga moved.
    const seen = { step: "finish", attempt: 1, compensation: false };
    fireRetry(driver);
    const result = moved(driver, { action: "skip", output: {}, expected: seen } as OperatorAction);
    expect(result.refused?.message).toMatch(/finish attempt 2/);
  });

  it("a compensate meant for an earlier step does not land on the pivot", () => {
    const driver = throughA(started());
    const seen = { step: "b", attempt: 1, compensation: false };
    driver.reply("BDone");
    moved(driver, { action: "compensate", expected: seen } as OperatorAction);
  });

  it("a retry meant for one attempt does not start another after the saga moved on", () => {
    const driver = throughA(started());
    const seen = { step: "b", attempt: 1, compensation: false };
    driver.reply("BRefused");
    moved(driver, { action: "retry", expected: seen } as OperatorAction);
  });

  it("skip is refused while the step's reply is awaited: its outcome is not known yet", () => {
    const driver = throughA(started());
    expectRefused(
      driver,
      {
        action: "skip",
        output: {},
        expected: { step: "b", attempt: 1, compensation: false },
      } as OperatorAction,
      "STEP_IN_FLIGHT",
    );
  });
});

describe("compensate while the pivot's outcome is unknown", () => {
  const atPivot = { step: "decide", attempt: 1, compensation: false };

  it("is refused at the pivot in flight unless the operator states it did not apply", () => {
    const driver = atDecide();
    expectRefused(
      driver,
      { action: "compensate", expected: atPivot } as OperatorAction,
      "PIVOT_OUTCOME_UNKNOWN",
    );
  });

  it("is refused at a parked pivot (exhausted) unless the operator states it did not apply", () => {
    const driver = atDecide();
    timeOutAndRetry(driver, 1);
    timeOut(driver);
    expect(snap(driver).status).toBe("needs-intervention");
    const expected = { step: "decide", attempt: 2, compensation: false };
    expectRefused(
      driver,
      { action: "compensate", expected } as OperatorAction,
      "PIVOT_OUTCOME_UNKNOWN",
    );
    const result = operator(driver, {
      action: "compensate",
      expected,
      pivotOutcome: "not-applied",
    } as OperatorAction);
    expect(result.applied).toBe(true);
    expect(result.note).toMatch(/not applied/);
    expect(snap(driver).status).toBe("compensating");
    expect(compensations(driver)).toEqual(["UndoB"]);
  });
});

describe("a deadline whose time has not come", () => {
  it("is ignored: a stale deadline timer taken after an operator's retry re-armed it", () => {
    const driver = atDecide();
    // The pivot parks before the deadline; the deadline fires while parked (ignored).
    for (let round = 0; round < 10 && snap(driver).status !== "needs-intervention"; round++) {
      driver.fireNext();
    }
    driver.now = new Date(T0 + 600_000);
    expect(driver.apply({ type: "saga-deadline" }).applied).toBe(false);
    // The operator retries: the deadline is re-armed ten minutes from now, under the same id.
    operator(driver, { action: "retry" });
    expect(Date.parse(snap(driver).deadlineAt ?? "")).toBe(T0 + 1_200_000);
    // A replica that read the old row before the retry now applies it: it must change nothing.
    driver.now = new Date(T0 + 600_001);
    expectIgnored(driver, { type: "saga-deadline" }, /not come|not due/);
    expect(snap(driver).status).toBe("running");
  });
});

describe("replies carry the command they answer", () => {
  it("a reply whose causationId is not the pending command's is ignored", () => {
    const driver = throughA(started());
    const command = sends(driver.results.at(-1)?.effects ?? [])[0] as EffectOf<"send-command"> & {
      messageId?: string;
    };
    expect(command.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(activeWork(snap(driver))).toMatchObject({ commandId: command.messageId });
    expectIgnored(driver, {
      type: "reply",
      step: "b",
      attempt: 1,
      compensation: false,
      name: "BDone",
      payload: {},
      causationId: "00000000-0000-4000-8000-00000000dead",
    } as SagaEvent);
    const applied = driver.apply({
      type: "reply",
      step: "b",
      attempt: 1,
      compensation: false,
      name: "BDone",
      payload: {},
      causationId: command.messageId,
    } as SagaEvent);
    expect(applied.applied).toBe(true);
  });

  it("each command has its own message id, the same on a re-run of the same transition", () => {
    const one = throughA(started());
    const two = throughA(started());
    const idOf = (driver: SagaDriver) =>
      (sends(driver.results.at(-1)?.effects ?? [])[0] as { messageId?: string }).messageId;
    expect(idOf(one)).toBe(idOf(two));
    timeOut(one);
    fireRetry(one);
    expect(idOf(one)).not.toBe(idOf(two));
  });
});
