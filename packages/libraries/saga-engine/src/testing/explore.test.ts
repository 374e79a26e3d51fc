// The test kit on the engine's fixture saga (every step shape): the scripted API, the explorer on
// the real machine (clean), and on machines broken by hand, which it must catch and print.
import type { CompiledSaga } from "@sagaworks/saga-definition";
import { describe, expect, it } from "vitest";
import { compileFixture } from "./fixture-saga.ts";
import { assertCleanExploration, exploreSaga, formatExploration, sagaTest } from "./index.ts";

const compiled = compileFixture();
const input = { id: "thing-1" };

function broken(change: (saga: CompiledSaga) => void): CompiledSaga {
  const copy = structuredClone(compiled);
  change(copy);
  return copy;
}

describe("sagaTest: scripting one saga", () => {
  it("records the path, the commands with their payloads and the final state", () => {
    const saga = sagaTest(compiled).start(input);
    expect(saga.calls()).toEqual([
      expect.objectContaining({ step: "check", method: "GET", path: "/things/thing-1" }),
    ]);
    saga.respond("check", 200, { id: "thing-1" });
    saga.reply("a", "ADone");
    saga.reply("b", "BRefused");
    saga.reply("a", "AUndone", {}, { compensation: true });
    expect(saga.status).toBe("compensated");
    expect(saga.path()).toEqual(["check", "a", "b", "compensate:a", "compensated"]);
    expect(saga.compensations()).toEqual(["a"]);
    expect(saga.commands()).toEqual([
      {
        step: "a",
        command: "ReserveA",
        payload: { sagaId: saga.sagaId },
        attempt: 1,
        compensation: false,
      },
      {
        step: "b",
        command: "ReserveB",
        payload: { sagaId: saga.sagaId },
        attempt: 1,
        compensation: false,
      },
      {
        step: "a",
        command: "UndoA",
        payload: { sagaId: saga.sagaId },
        attempt: 1,
        compensation: true,
      },
    ]);
  });

  it("times out, retries on the fake clock, and ignores a late reply", () => {
    const saga = sagaTest(compiled).start(input);
    saga.respond("check", 200, { id: "thing-1" });
    saga.timeout("a");
    expect(saga.waitingOn()).toMatchObject({ step: "a", waitingFor: "retry-timer" });
    saga.advance("1s");
    expect(saga.waitingOn()).toMatchObject({ step: "a", attempt: 2, waitingFor: "reply" });
    saga.reply("a", "ADone");
    expect(saga.reply("a", "ADone", {}, { attempt: 1 }).applied).toBe(false);
    expect(saga.waitingOn()).toMatchObject({ step: "b", attempt: 1 });
  });

  it("says what the saga waits on when a script answers the wrong step", () => {
    const saga = sagaTest(compiled).start(input);
    expect(() => saga.reply("a", "ADone")).toThrow(
      "Cannot reply ADone for a: the saga waits on check attempt 1 (reply)",
    );
  });
});

describe("exploreSaga: every combination of outcomes", () => {
  it("finds the fixture saga clean, reaching every ending, and is deterministic", () => {
    const report = exploreSaga(compiled, { input });
    assertCleanExploration(report);
    expect(Object.keys(report.endings).sort()).toEqual([
      "compensated",
      "completed",
      "failed",
      "needs-intervention",
    ]);
    expect(report.paths).toBeGreaterThan(20);
    expect(exploreSaga(compiled, { input })).toEqual(report);
  });

  it("catches a pivot failure that skips compensation, and prints the path", () => {
    const report = exploreSaga(
      broken((saga) => {
        const decide = saga.states["step:decide"];
        if (decide?.type === "step") decide.onFailure = "failed";
      }),
      { input },
    );
    expect(report.violations.length).toBeGreaterThan(0);
    const first = report.violations.find(
      (v) => v.choices.at(-1) === "decide: Declined (business failure)",
    );
    expect(first).toMatchObject({
      status: "failed",
      problems: ["ends failed with a still in effect", "ends failed with b still in effect"],
    });
    expect(() => assertCleanExploration(report)).toThrow(
      /check: HTTP 200 → a: ADone → b: BDone → decide: Declined \(business failure\)\n {3}ran: check, a, b, decide, failed\n {3}ended: failed\n {3}✗ ends failed with a still in effect/,
    );
  });

  it("catches a compensation past the pivot", () => {
    const report = exploreSaga(
      broken((saga) => {
        const decide = saga.states["step:decide"];
        if (decide?.type === "step") decide.onSuccess = "compensate:b";
      }),
      { input },
    );
    expect(report.violations.flatMap((v) => v.problems)).toContain(
      "compensates b past the pivot (the pivot had succeeded)",
    );
  });

  it("stops at maxPaths and says the run was cut", () => {
    const report = exploreSaga(compiled, { input, maxPaths: 3 });
    expect(report.truncated).toBe(true);
    expect(formatExploration(report)).toContain("cut short by maxPaths");
    expect(() => assertCleanExploration(report)).toThrow(/cut short/);
  });
});
