// Conditional steps (`when`): evaluated once when the step is reached, from the saga's state
// only; a step not taken is recorded with the values compared, announced, never compensated,
// and distinct from an operator's skip.
import { describe, expect, it } from "vitest";
import { activeWork, type SagaSnapshot } from "./model.ts";
import { SagaDriver } from "./testing/driver.ts";
import { compileFixture, fixtureDefinition } from "./testing/fixture-saga.ts";

const SAGA = "00000000-0000-4000-8000-000000000001";

/** The fixture with an integer `priority` input and a condition on step "a" (and "b"). */
function conditional(when: unknown, whenB?: unknown) {
  const definition = fixtureDefinition() as unknown as {
    input: unknown;
    steps: Array<Record<string, unknown>>;
  };
  definition.input = {
    type: "object",
    properties: { id: { type: "string" }, priority: { type: "integer" } },
    required: ["id", "priority"],
  };
  (definition.steps[1] as Record<string, unknown>).when = when;
  if (whenB) (definition.steps[2] as Record<string, unknown>).when = whenB;
  return compileFixture(definition);
}

const snap = (driver: SagaDriver) => driver.snapshot as SagaSnapshot;

describe("a step whose condition is false", () => {
  it("is not taken: recorded with the values compared, announced, and the saga goes on", () => {
    const driver = new SagaDriver(conditional({ path: "$.input.priority", greaterThan: 5 }));
    driver.start({ id: "thing-1", priority: 3 });
    const result = driver.http(200, { id: "thing-1" });
    expect(snap(driver).steps.a?.status).toBe("not-taken");
    expect(activeWork(snap(driver))?.step).toBe("b");
    expect(result.note).toContain(
      "a not taken: $.input.priority > 5 is false ($.input.priority = 3)",
    );
    expect(result.effects).toContainEqual({
      type: "publish-event",
      name: "saga.step.not-taken",
      step: "a",
      detail: {
        sagaId: SAGA,
        status: "running",
        condition: "$.input.priority > 5",
        compared: [{ path: "$.input.priority", value: 3 }],
      },
    });
    // No command of step a was sent, nor a timer armed for it.
    expect(
      result.effects.some((effect) => effect.type === "send-command" && effect.step === "a"),
    ).toBe(false);
  });

  it("is never compensated when a later step fails", () => {
    const driver = new SagaDriver(conditional({ path: "$.input.priority", greaterThan: 5 }));
    driver.start({ id: "thing-1", priority: 3 });
    driver.http(200, { id: "thing-1" });
    driver.reply("BRefused");
    expect(snap(driver).status).toBe("compensated");
    expect(snap(driver).steps.a?.status).toBe("not-taken");
    expect(
      driver.results
        .flatMap((result) => result.effects)
        .some((effect) => effect.type === "send-command" && effect.compensation),
    ).toBe(false);
  });

  it("runs when the condition holds, and a retry of it never evaluates the condition again", () => {
    const driver = new SagaDriver(conditional({ path: "$.input.priority", greaterThan: 5 }));
    driver.start({ id: "thing-1", priority: 9 });
    const reached = driver.http(200, { id: "thing-1" });
    expect(reached.note).not.toContain("not taken");
    expect(snap(driver).steps.a?.status).toBe("running");
    // The attempt times out and is retried: the retry starts attempt 2 of the same step.
    driver.advance(30_000);
    driver.advance(1_000);
    expect(activeWork(snap(driver))).toMatchObject({ step: "a", attempt: 2 });
    expect(driver.results.filter((result) => result.note.includes("not taken"))).toHaveLength(0);
  });

  it("tells an operator's skip apart: skipped carries an output, not-taken none", () => {
    const driver = new SagaDriver(
      conditional({ path: "$.input.priority", greaterThan: 5 }, { stepRan: "a" }),
    );
    driver.start({ id: "thing-1", priority: 3 });
    driver.http(200, { id: "thing-1" });
    // b asks whether a ran: it did not, so b is not taken either, and decide is next.
    expect(snap(driver).steps.a).toMatchObject({ status: "not-taken", output: null });
    expect(snap(driver).steps.b?.status).toBe("not-taken");
    expect(activeWork(snap(driver))?.step).toBe("decide");
  });

  it("evaluates all / any / not and exists, reading only the saga's state", () => {
    const when = {
      any: [
        {
          all: [
            { path: "$.steps.check.response.body.id", exists: true },
            { path: "$.steps.check.response.body.id", in: ["vip-1", "vip-2"] },
          ],
        },
        { not: { path: "$.input.priority", lessThanOrEqual: 7 } },
      ],
    };
    const taken = new SagaDriver(conditional(when));
    taken.start({ id: "vip-1", priority: 1 });
    taken.http(200, { id: "vip-2" });
    expect(snap(taken).steps.a?.status).toBe("running");
    const notTaken = new SagaDriver(conditional(when));
    notTaken.start({ id: "x", priority: 7 });
    const result = notTaken.http(200, { id: "x" });
    expect(snap(notTaken).steps.a?.status).toBe("not-taken");
    expect(result.note).toContain('$.steps.check.response.body.id = "x"');
  });
});
