// Parallel groups in the engine, on a saga with a branch of two steps, a read-only branch step,
// a conditional branch step and a group after the pivot: the fork, the join, the unwinding of
// every branch, and the explorer over every order of the branches' answers.
import { describe, expect, it } from "vitest";
import { compileFixture, fixtureDefinition } from "./testing/fixture-saga.ts";
import { assertCleanExploration, exploreSaga, sagaTest } from "./testing/index.ts";

const undoA = { command: "UndoA", payload: { sagaId: "$.sagaId" } };
const undoB = { command: "UndoB", payload: { sagaId: "$.sagaId" } };
const command = (name: string, cmd: string, success: string, extra: object = {}) => ({
  name,
  kind: "command",
  service: "shop",
  command: cmd,
  payload: { sagaId: "$.sagaId" },
  outcomes: { success: [success] },
  retry: { maxAttempts: 2, initialDelay: "1s", jitter: "none" },
  ...extra,
});

/** check → group(left: a1, a2 | right: look (read-only HTTP), b) → decide (pivot) → group(finish ×2). */
function grouped(options: { rightWhen?: unknown } = {}) {
  const base = fixtureDefinition() as unknown as { steps: unknown[]; input: unknown };
  const [check, , , decide, finish] = base.steps as Array<Record<string, unknown>>;
  base.input = {
    type: "object",
    properties: { id: { type: "string" }, rush: { type: "boolean" } },
    required: ["id", "rush"],
  };
  base.steps = [
    check,
    {
      name: "reserve",
      kind: "parallel",
      branches: [
        {
          name: "left",
          steps: [
            command("a1", "ReserveA", "ADone", { compensation: undoA }),
            command("a2", "ReserveA", "ADone", { compensation: undoA }),
          ],
        },
        {
          name: "right",
          steps: [
            { ...check, name: "look" },
            command("b", "ReserveB", "BDone", {
              outcomes: { success: ["BDone"], businessFailure: ["BRefused"] },
              compensation: undoB,
              ...(options.rightWhen ? { when: options.rightWhen } : {}),
            }),
          ],
        },
      ],
    },
    decide,
    {
      name: "wrap-up",
      kind: "parallel",
      branches: [
        { name: "one", steps: [{ ...finish, name: "finish-one" }] },
        { name: "two", steps: [{ ...finish, name: "finish-two" }] },
      ],
    },
  ];
  return compileFixture(base);
}

const input = { id: "thing-1", rush: false };

/** A grouped saga whose group finished on every branch: it waits on the pivot, decide. */
function atThePivot() {
  const saga = sagaTest(grouped()).start(input);
  saga.respond("check", 200, { id: "thing-1" });
  saga.reply("a1", "ADone");
  saga.reply("a2", "ADone");
  saga.respond("look", 200, { id: "thing-1" });
  saga.reply("b", "BDone");
  return saga;
}

/** The steps the saga waits on in all its branches, sorted: branches have no order between them. */
const waitingSteps = (saga: { waitingOnAll(): { step: string }[] }) =>
  saga
    .waitingOnAll()
    .map((w) => w.step)
    .sort();

describe("a parallel group in the engine", () => {
  it("forks in one transition, runs each branch on its own, and joins when every branch is done", () => {
    const saga = sagaTest(grouped()).start(input);
    const fork = saga.respond("check", 200, { id: "thing-1" });
    expect(
      fork.effects.filter((e) => e.type === "send-command" || e.type === "call-http"),
    ).toMatchObject([
      { type: "send-command", step: "a1" },
      { type: "call-http", step: "look" },
    ]);
    saga.reply("a1", "ADone");
    // The left branch goes on to a2 while the right one still waits on look.
    expect(waitingSteps(saga)).toEqual(["a2", "look"]);
    saga.respond("look", 200, { id: "thing-1" });
    saga.reply("b", "BDone");
    expect(saga.commands().some((c) => c.step === "decide")).toBe(false);
    saga.reply("a2", "ADone");
    saga.reply("decide", "Decided");
    // The group after the pivot: both finishing steps at once, retried until they succeed.
    expect(waitingSteps(saga)).toEqual(["finish-one", "finish-two"]);
    saga.timeout("finish-two");
    saga.reply("finish-one", "Finished");
    saga.retry("finish-two");
    saga.reply("finish-two", "Finished");
    expect(saga.status).toBe("completed");
    expect(saga.snapshot?.pending).toEqual({});
  });

  it("a branch failing mid-way undoes its own completed steps in reverse and stops its sibling", () => {
    const saga = sagaTest(grouped()).start(input);
    saga.respond("check", 200, { id: "thing-1" });
    saga.respond("look", 200, { id: "thing-1" });
    saga.reply("a1", "ADone");
    // a2 in flight, b in flight: b is refused.
    const refused = saga.reply("b", "BRefused", { message: "no" });
    expect(refused.effects.flatMap((e) => (e.type === "send-command" ? [e.step] : []))).toEqual([
      "a2",
    ]);
    expect(saga.snapshot?.state).toBe("unwind:reserve");
    saga.reply("a2", "AUndone", {}, { compensation: true });
    // Then a1, the left branch's earlier step; the read-only look has nothing to undo.
    saga.reply("a1", "AUndone", {}, { compensation: true });
    expect(saga.status).toBe("compensated");
    expect(saga.compensations()).toEqual(["a2", "a1"]);
  });

  it("a failure after the group (the pivot refused) undoes every branch from its last step, branches at once", () => {
    const saga = atThePivot();
    const declined = saga.reply("decide", "Declined");
    expect(declined.effects.flatMap((e) => (e.type === "send-command" ? [e.step] : []))).toEqual([
      "a2",
      "b",
    ]);
    saga.reply("b", "BUndone", {}, { compensation: true });
    saga.reply("a2", "AUndone", {}, { compensation: true });
    saga.reply("a1", "AUndone", {}, { compensation: true });
    expect(saga.status).toBe("compensated");
  });

  it("a branch step whose condition is false is not taken, and its branch still joins", () => {
    const saga = sagaTest(grouped({ rightWhen: { path: "$.input.rush", equals: true } })).start(
      input,
    );
    saga.respond("check", 200, { id: "thing-1" });
    saga.respond("look", 200, { id: "thing-1" });
    expect(saga.snapshot?.steps.b?.status).toBe("not-taken");
    saga.reply("a1", "ADone");
    saga.reply("a2", "ADone");
    expect(saga.waitingOn()?.step).toBe("decide");
  });

  it("explored: every order of the answers, in both groups, keeps the rules", () => {
    for (const saga of [
      grouped(),
      grouped({ rightWhen: { path: "$.input.rush", equals: true } }),
    ]) {
      const report = exploreSaga(saga, { input, maxPaths: 200_000 });
      assertCleanExploration(report);
      expect(report.endings.completed).toBeGreaterThan(0);
      expect(report.endings.compensated).toBeGreaterThan(0);
    }
  });

  it("a definition without groups carries no group keys (the shipped sagas' hashes are pinned by their golden files)", () => {
    const plain = compileFixture();
    expect("groups" in plain).toBe(false);
    expect(plain.steps.some((step) => "branch" in step)).toBe(false);
  });

  it("two branch compensations exhausted: an operator's skip of one leaves the other parked, not restarted", () => {
    const saga = atThePivot();
    saga.reply("decide", "Declined");
    const exhaust = (step: string) => {
      for (let move = 0; move < 100; move++) {
        const work = saga.waitingOn(step);
        if (!work || work.waitingFor === "operator") return;
        if (work.waitingFor === "retry-timer") saga.retry(step, { compensation: true });
        else saga.fail(step, "DOWN", "down", { compensation: true });
      }
    };
    exhaust("a2");
    expect(saga.status).toBe("compensating");
    exhaust("b");
    expect(saga.status).toBe("needs-intervention");
    const sentBefore = saga.commands().length;
    const skipped = saga.operator({
      action: "skip",
      output: {},
      expected: { step: "a2", attempt: 20, compensation: true },
    });
    expect(skipped.refused).toBeUndefined();
    // a1 is compensated next; b stays parked for the operator.
    expect(
      saga
        .commands()
        .slice(sentBefore)
        .map((c) => c.step),
    ).toEqual(["a1"]);
    expect(saga.snapshot?.pending.b).toMatchObject({ waitingFor: "operator" });
    saga.reply("a1", "AUndone", {}, { compensation: true });
    expect(saga.status).toBe("needs-intervention");
    saga.operator({ action: "retry", expected: { step: "b", attempt: 20, compensation: true } });
    saga.reply("b", "BUndone", {}, { compensation: true });
    expect(saga.status).toBe("compensated");
  });
});
