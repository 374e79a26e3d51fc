// Property tests: random interleavings of replies (right, wrong, duplicated, late, naming another
// command), HTTP outcomes, timers (also a deadline taken before its time by a slow replica), clock
// jumps, restarts (the snapshot round-trips through JSON, the timer table survives) and operator
// actions chosen on a view of the saga that may be stale (the saga moved on since the operator
// looked), driven through the fixture saga. Whatever happens, the saga's invariants hold, and
// once the world starts answering, every instance ends or parks.
import type { JsonValue } from "@sagaworks/saga-definition";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  activeWork,
  type Effect,
  type PendingWork,
  type SagaEvent,
  type SagaSnapshot,
  type TransitionResult,
} from "./model.ts";
import { SagaDriver } from "./testing/driver.ts";
import { compileFixture, fixtureDefinition } from "./testing/fixture-saga.ts";
import { deadlineTimerId, isTerminal } from "./transition.ts";

/** The fixture, with step b taken only when the check did not answer with the id "skip-b". */
function withConditionalB() {
  const definition = fixtureDefinition();
  (definition.steps[2] as Record<string, unknown>).when = {
    not: { path: "$.steps.check.response.body.id", equals: "skip-b" },
  };
  return compileFixture(definition);
}
const compiled = withConditionalB();
const SAGA = "00000000-0000-4000-8000-000000000001";
const stepIndex = new Map(compiled.steps.map((step) => [step.name, step.index]));
const roleOf = new Map(compiled.steps.map((step) => [step.name, step.role]));

/** The success answer of each step, and of each compensation. */
const SUCCESS: Record<string, string> = {
  a: "ADone",
  b: "BDone",
  decide: "Decided",
  finish: "Finished",
};
const UNDONE: Record<string, string> = { a: "AUndone", b: "BUndone" };
/** A business-failure reply, where the step has one. */
const BUSINESS: Record<string, string> = { b: "BRefused", decide: "Declined" };

type Action =
  | { k: "success" }
  | { k: "business" }
  | { k: "unexpected"; listedCode: boolean }
  | { k: "duplicate"; index: number }
  | { k: "late"; back: number; success: boolean }
  | { k: "fire" }
  | { k: "http"; status: 200 | 404 | 503 | "network" }
  | { k: "restart" }
  | { k: "advance"; ms: number }
  | { k: "stale-deadline" }
  | { k: "forged-cause" }
  | {
      k: "operator";
      action: "retry" | "skip" | "compensate" | "resolve";
      /** How many events ago the operator looked at the saga (0: now). */
      viewAge: number;
      pivotNotApplied: boolean;
    };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Action>({ k: "success" }) },
  { weight: 1, arbitrary: fc.constant<Action>({ k: "business" }) },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant("unexpected" as const), listedCode: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("duplicate" as const), index: fc.nat(200) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("late" as const),
      back: fc.integer({ min: 1, max: 3 }),
      success: fc.boolean(),
    }),
  },
  { weight: 6, arbitrary: fc.constant<Action>({ k: "fire" }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("http" as const),
      status: fc.constantFrom(200 as const, 404 as const, 503 as const, "network" as const),
    }),
  },
  { weight: 2, arbitrary: fc.constant<Action>({ k: "restart" }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("advance" as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 60_000 }), fc.integer({ min: 60_000, max: 700_000 })),
    }),
  },
  { weight: 1, arbitrary: fc.constant<Action>({ k: "stale-deadline" }) },
  { weight: 1, arbitrary: fc.constant<Action>({ k: "forged-cause" }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("operator" as const),
      action: fc.constantFrom(
        "retry" as const,
        "skip" as const,
        "compensate" as const,
        "resolve" as const,
      ),
      viewAge: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
      pivotNotApplied: fc.boolean(),
    }),
  },
);

/** A small deterministic random source (Park–Miller) for jitter. */
function seeded(seed: number): () => number {
  let x = (seed % 2147483646) + 1;
  return () => {
    x = (x * 48271) % 2147483647;
    return (x - 1) / 2147483646;
  };
}

const parked = (s: SagaSnapshot) => isTerminal(s.status) || s.status === "needs-intervention";

/** Whether `event` is for exactly what the saga waits on: the only events that may apply. */
function live(s: SagaSnapshot, event: SagaEvent, now: number): boolean {
  const pending = activeWork(s);
  switch (event.type) {
    case "reply":
    case "http-response":
    case "http-failure":
    case "step-timeout": {
      const compensation = "compensation" in event ? event.compensation : false;
      return (
        !parked(s) &&
        pending?.waitingFor === "reply" &&
        pending.step === event.step &&
        pending.attempt === event.attempt &&
        pending.compensation === compensation &&
        // A reply must name the command the attempt sent.
        (event.type !== "reply" ||
          pending.commandId === undefined ||
          event.causationId === pending.commandId)
      );
    }
    case "retry-timer":
      return (
        !parked(s) &&
        pending?.waitingFor === "retry-timer" &&
        pending.step === event.step &&
        pending.attempt + 1 === event.attempt &&
        pending.compensation === event.compensation
      );
    case "saga-deadline":
      // Only once its time has come: a replica may take a deadline row read before it moved.
      return s.status === "running" && Date.parse(s.deadlineAt ?? "") <= now;
    default:
      return true;
  }
}

/** A driver that checks, for every event, that only a live event applies and that an ignored
 * or refused one changes nothing. */
class CheckedDriver extends SagaDriver {
  override apply(event: SagaEvent): TransitionResult {
    const before = structuredClone(this.snapshot);
    const result = super.apply(event);
    if (!before) return result;
    if (event.type !== "operator") {
      expect(result.applied, `${event.type} applied=${result.applied}: ${result.note}`).toBe(
        live(before, event, this.now.getTime()),
      );
    } else if (isTerminal(before.status)) {
      expect(result.refused?.code).toBe("SAGA_TERMINAL");
    } else {
      checkOperator(before, event, result);
    }
    if (result.applied) {
      expect(result.snapshot.seq).toBe(before.seq + 1);
      expect(result.refused).toBeUndefined();
    } else {
      expect(result.effects).toEqual([]);
      expect(result.snapshot).toEqual(before);
    }
    return result;
  }
}

/** An operator action applies only to what the operator saw, and never past an unknown pivot. */
function checkOperator(
  before: SagaSnapshot,
  event: Extract<SagaEvent, { type: "operator" }>,
  result: TransitionResult,
): void {
  const pending = activeWork(before);
  const expected = event.expected;
  const matches =
    expected === undefined ||
    (pending !== null &&
      pending.step === expected.step &&
      pending.attempt === expected.attempt &&
      pending.compensation === expected.compensation);
  if (!matches) {
    expect(result.refused?.code, `${event.action} on a saga that moved on`).toBe("SAGA_MOVED_ON");
    return;
  }
  if (!result.applied) return;
  if (event.action === "skip") {
    expect(
      before.status === "needs-intervention" || pending?.waitingFor === "retry-timer",
      "skip applied while the step's reply was awaited",
    ).toBe(true);
  }
  if (event.action === "compensate" && pending && !pending.compensation) {
    if (roleOf.get(pending.step) === "pivot") {
      expect(event.pivotOutcome, "compensated past a pivot whose outcome is unknown").toBe(
        "not-applied",
      );
    }
  }
}

/** A run of one saga: the driver, the answers delivered so far, and a restart switch. */
class World {
  readonly driver = new CheckedDriver(compiled);
  readonly delivered: SagaEvent[] = [];
  /** What an operator looking at the saga saw, one view per action played (newest last). */
  readonly views: (PendingWork | null)[] = [];
  readonly restarts: boolean;
  /** What the check answers: one world in three makes step b's condition false. */
  readonly checkedId: string;

  constructor(seed: number, restarts: boolean) {
    this.driver.random = seeded(seed);
    this.restarts = restarts;
    this.checkedId = seed % 3 === 0 ? "skip-b" : "thing-1";
    this.driver.start({ id: "thing-1" }, SAGA);
  }

  get snapshot(): SagaSnapshot {
    const snapshot = this.driver.snapshot;
    if (!snapshot) throw new Error("no snapshot");
    return snapshot;
  }

  private deliver(event: SagaEvent): void {
    this.delivered.push(event);
    this.driver.apply(event);
  }

  /** An answer to `attempt` of the pending step (or compensation). */
  private answer(
    kind: "success" | "business" | "unexpected" | "unexpected-listed",
    attempt: number,
  ) {
    const pending = activeWork(this.snapshot);
    if (!pending) return;
    const { step, compensation } = pending;
    if (!compensation && step === "check") {
      const status = kind === "success" ? 200 : kind === "business" ? 404 : 503;
      this.deliver({ type: "http-response", step, attempt, status, body: { id: this.checkedId } });
      return;
    }
    let name: string;
    let payload: JsonValue = { sagaId: SAGA };
    if (compensation) name = kind === "success" ? (UNDONE[step] ?? "Undone") : "Whatever";
    else if (kind === "success") name = SUCCESS[step] ?? "Done";
    else if (kind === "business") name = BUSINESS[step] ?? "Nope";
    else {
      name = "Unexpected";
      if (kind === "unexpected-listed") payload = { code: "B_BROKEN" };
    }
    this.deliver(this.driver.replyEvent({ step, attempt, compensation }, name, payload));
  }

  run(action: Action): void {
    const pending = activeWork(this.snapshot);
    this.views.push(pending ? structuredClone(pending) : null);
    switch (action.k) {
      case "success":
      case "business":
        if (pending) this.answer(action.k, pending.attempt);
        return;
      case "unexpected":
        if (pending)
          this.answer(action.listedCode ? "unexpected-listed" : "unexpected", pending.attempt);
        return;
      case "duplicate": {
        const event = this.delivered[action.index % Math.max(1, this.delivered.length)];
        if (event) this.deliver(event);
        return;
      }
      case "late":
        if (pending && pending.attempt - action.back >= 1) {
          this.answer(action.success ? "success" : "business", pending.attempt - action.back);
        }
        return;
      case "fire":
        this.driver.fireNext();
        return;
      case "http":
        if (!pending || pending.compensation || pending.step !== "check") return;
        if (action.status === "network") {
          this.deliver({
            type: "http-failure",
            step: "check",
            attempt: pending.attempt,
            code: "ECONNRESET",
            message: "socket hang up",
          });
        } else {
          this.deliver({
            type: "http-response",
            step: "check",
            attempt: pending.attempt,
            status: action.status,
            body: action.status === 200 ? { id: this.checkedId } : { message: "nope" },
          });
        }
        return;
      case "restart":
        // The orchestrator stores the snapshot as JSON and loads it back; its timer table stays.
        if (this.restarts) this.driver.snapshot = JSON.parse(JSON.stringify(this.driver.snapshot));
        return;
      case "advance":
        this.driver.advance(action.ms);
        return;
      case "stale-deadline":
        // A replica took a deadline row it read earlier, whatever the row says now.
        this.driver.apply({ type: "saga-deadline" });
        return;
      case "forged-cause":
        // Right step and attempt, but naming a command the saga never sent.
        if (pending && !(pending.step === "check" && !pending.compensation)) {
          const { step, attempt, compensation } = pending;
          const name = compensation ? (UNDONE[step] ?? "Undone") : (SUCCESS[step] ?? "Done");
          this.deliver({
            type: "reply",
            step,
            attempt,
            compensation,
            name,
            payload: { sagaId: SAGA },
            causationId: "00000000-0000-4000-8000-0000000f0a6e",
          });
        }
        return;
      case "operator": {
        // The operator acts on what they saw `viewAge` actions ago: a reply, a timer or another
        // operator may have moved the saga on since.
        const view = this.views.at(-1 - action.viewAge) ?? pending;
        const expected = view
          ? { step: view.step, attempt: view.attempt, compensation: view.compensation }
          : { step: "(none)", attempt: 1, compensation: false };
        const base = { type: "operator" as const, actor: "ops", reason: "property test" };
        if (action.action === "skip") {
          this.driver.apply({
            ...base,
            action: "skip",
            output: { sagaId: SAGA, skipped: true },
            expected,
          });
        } else if (action.action === "compensate") {
          this.driver.apply({
            ...base,
            action: "compensate",
            expected,
            ...(action.pivotNotApplied ? { pivotOutcome: "not-applied" as const } : {}),
          });
        } else if (action.action === "retry") {
          this.driver.apply({ ...base, action: "retry", expected });
        } else {
          this.driver.apply({ ...base, action: "resolve" });
        }
        return;
      }
    }
  }

  /** The world answers: reply successes, fire retry timers; bounded. */
  quiesce(): void {
    for (let i = 0; i < 200; i++) {
      const { status } = this.snapshot;
      const pending = activeWork(this.snapshot);
      if (isTerminal(status) || status === "needs-intervention") return;
      if (pending?.waitingFor === "reply") this.answer("success", pending.attempt);
      else if (!this.driver.fireNext()) return;
    }
  }
}

/** Invariants of the current state: never stuck, state and pending consistent, no stray timers. */
function checkState(world: World): void {
  const s = world.snapshot;
  if (!parked(s)) {
    const pending = activeWork(s);
    if (!pending) throw new Error("a running saga waits on something");
    expect(Object.keys(s.pending), "one step at a time").toEqual([pending.step]);
    expect(
      world.driver.timers.has(pending.timerId),
      `${s.status} saga waits on ${pending.step}#${pending.attempt} (${pending.waitingFor}) without an armed timer`,
    ).toBe(true);
    expect(s.status).toBe(pending.compensation ? "compensating" : "running");
    expect(s.state).toBe(`${pending.compensation ? "compensate" : "step"}:${pending.step}`);
  }
  if (isTerminal(s.status)) expect(s.pending).toEqual({});
  if (s.pivotPassed) expect(["compensating", "compensated"]).not.toContain(s.status);
  // Only the deadline and the one thing the saga waits on may be armed.
  const allowed = new Set([deadlineTimerId(SAGA), activeWork(s)?.timerId ?? ""]);
  for (const id of world.driver.timers.keys()) {
    expect(allowed.has(id), `stray timer ${id} (saga ${s.status})`).toBe(true);
  }
  if (isTerminal(s.status)) expect(world.driver.timers.size).toBe(0);
}

/** Invariants of the whole history of effects. */
function checkHistory(results: TransitionResult[]): void {
  const applied = results.filter((result) => result.applied);
  const seen = new Set<string>();
  const compensated: string[] = [];
  let finishedAt = -1;
  let pivotPassed = false;
  applied.forEach((result, index) => {
    if (finishedAt >= 0) {
      throw new Error(`transition applied after finish: ${result.note}`);
    }
    if (pivotPassed) expect(result.snapshot.pivotPassed, "the pivot stays passed").toBe(true);
    pivotPassed = result.snapshot.pivotPassed;
    for (const effect of result.effects as Effect[]) {
      if (effect.type === "send-command" || effect.type === "call-http") {
        const compensation = effect.type === "send-command" && effect.compensation;
        const key = `${effect.idempotencyKey}#${effect.attempt}`;
        expect(seen.has(key), `${key} sent twice`).toBe(false);
        seen.add(key);
        if (compensation) {
          const role = roleOf.get(effect.step);
          expect(role, `${effect.step} (${role}) must never be compensated`).toBe("compensatable");
          expect(seen.has(`${SAGA}:${effect.step}#1`), "compensation of a step never started").toBe(
            true,
          );
        }
      }
      if (effect.type === "publish-event" && effect.name === "saga.step.compensated") {
        compensated.push(effect.step ?? "");
      }
      if (effect.type === "finish") {
        expect(finishedAt, "finish emitted twice").toBe(-1);
        finishedAt = index;
        expect(effect.status).toBe(result.snapshot.status);
        expect(result.effects.at(-1), "finish is the last effect").toBe(effect);
      }
    }
  });
  // A step not taken never sent anything, so nothing of it is ever compensated either.
  const last = applied.at(-1)?.snapshot;
  for (const [step, record] of Object.entries(last?.steps ?? {})) {
    if (record.status !== "not-taken") continue;
    expect(seen.has(`${SAGA}:${step}#1`), `${step} was not taken but sent`).toBe(false);
    expect(compensated, `${step} was not taken but compensated`).not.toContain(step);
  }
  expect(new Set(compensated).size, `compensated twice: ${compensated}`).toBe(compensated.length);
  const order = compensated.map((step) => stepIndex.get(step) ?? -1);
  expect(order, `compensations out of reverse order: ${compensated}`).toEqual(
    [...order].sort((x, y) => y - x),
  );
  for (const step of compensated) expect(roleOf.get(step)).toBe("compensatable");
}

const actionsArb = (arb: fc.Arbitrary<Action>) => fc.array(arb, { maxLength: 60, size: "large" });

/** `prefix` successes first (0 to 4), so that every stage of the saga gets its share of chaos. */
const scenario = fc.record({
  seed: fc.nat(1_000_000),
  prefix: fc.nat(4),
  actions: actionsArb(actionArb),
});

function play(seed: number, prefix: number, actions: Action[], restarts: boolean): World {
  const world = new World(seed, restarts);
  for (let i = 0; i < prefix; i++) world.run({ k: "success" });
  for (const action of actions) {
    world.run(action);
    checkState(world);
  }
  checkHistory(world.driver.results);
  world.quiesce();
  checkState(world);
  checkHistory(world.driver.results);
  return world;
}

describe("transition under random interleavings", () => {
  it("keeps every invariant and always ends, parks or waits on an armed timer", () => {
    fc.assert(
      fc.property(scenario, ({ seed, prefix, actions }) => {
        const world = play(seed, prefix, actions, true);
        expect(parked(world.snapshot), `still ${world.snapshot.status} after answering`).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("a restart from the stored JSON is invisible: same effects as without it", () => {
    fc.assert(
      fc.property(scenario, ({ seed, prefix, actions }) => {
        const withRestarts = play(seed, prefix, actions, true);
        const without = play(seed, prefix, actions, false);
        const view = (world: World) =>
          world.driver.results.map((r) => [r.applied, r.effects, r.note]);
        expect(view(withRestarts)).toEqual(view(without));
        expect(withRestarts.snapshot).toEqual(without.snapshot);
      }),
      { numRuns: 100 },
    );
  });

  it("without operator actions, a forward failure after the pivot never compensates", () => {
    const noOperator = actionsArb(actionArb.filter((action) => action.k !== "operator"));
    fc.assert(
      fc.property(fc.nat(1_000_000), fc.nat(4), noOperator, (seed, prefix, actions) => {
        const world = play(seed, prefix, actions, true);
        const s = world.snapshot;
        if (s.pivotPassed) {
          expect(["running", "completed", "needs-intervention"]).toContain(s.status);
          expect(Object.values(s.steps).some((step) => step.status === "compensated")).toBe(false);
        }
        // With only the world's answers, a parked saga is a stuck compensation or the pivot.
        if (s.status === "needs-intervention") {
          expect(activeWork(s)?.compensation || activeWork(s)?.step === "decide").toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
