// Conditions (`when`) as the validator and the compiler see them: every path checked against the
// input schema and the contracts, comparisons against types and enums, guards for what may be
// absent, the pivot unconditional, and a definition without conditions unchanged.
import { serviceContracts } from "@sagaworks/contracts";
import { describe, expect, it } from "vitest";
import { describeCondition, evaluateCondition } from "./condition.ts";
import { renderMermaid } from "./diagram.ts";
import { DiagnosticCode as C } from "./errors.ts";
import { checkDefinitionText } from "./files/definition-files.ts";
import {
  compile,
  expectProblem,
  expectValid,
  type Loose,
  validDefinition,
} from "./test-fixtures.ts";

/** The fixture with an optional `note`, a `channel` enum, and `when` on a step. */
function withWhen(stepIndex: number, when: unknown, change?: (d: Loose) => void): Loose {
  const definition = validDefinition();
  definition.input.properties.note = { type: "string" };
  definition.input.properties.channel = { enum: ["web", "shop"] };
  definition.steps[stepIndex].when = when;
  change?.(definition);
  return definition;
}

/** verify-customer becomes conditional; create-order then must not read it. */
const verifyOnlyWhenLarge = (d: Loose) => {
  d.steps[1].payload.customerId = "$.input.customerId";
};

describe("a valid condition", () => {
  it("compiles into the step, with where the saga goes when it is not taken", () => {
    const saga = expectValid(
      withWhen(0, { path: "$.input.totalCents", greaterThan: 100_000 }, verifyOnlyWhenLarge),
    );
    const step = saga.steps[0];
    expect(step?.when).toEqual({
      path: "$.input.totalCents",
      ref: ["input", "totalCents"],
      test: "greaterThan",
      value: 100_000,
      ifMissing: false,
    });
    expect(saga.states["step:verify-customer"]).toMatchObject({
      onNotTaken: "step:create-order",
    });
    // Steps without a condition have neither key, so their hash is what it was.
    expect(Object.hasOwn(saga.steps[1] ?? {}, "when")).toBe(false);
    expect(Object.hasOwn(saga.states["step:create-order"] ?? {}, "onNotTaken")).toBe(false);
  });

  it("accepts an optional field guarded by an earlier exists in an all, or with ifMissing", () => {
    expectValid(
      withWhen(
        0,
        {
          all: [
            { path: "$.input.note", exists: true },
            { path: "$.input.note", notEquals: "" },
          ],
        },
        verifyOnlyWhenLarge,
      ),
    );
    expectValid(
      withWhen(0, { path: "$.input.note", equals: "rush", ifMissing: false }, verifyOnlyWhenLarge),
    );
  });

  it("lets a later step read a conditional step it is guarded by", () => {
    expectValid(
      withWhen(0, { path: "$.input.totalCents", greaterThan: 100_000 }, (d) => {
        // create-order reads verify-customer only when that ran; the steps after it read
        // nothing of create-order, which is conditional in turn.
        d.steps[1].when = {
          all: [
            { stepRan: "verify-customer" },
            { path: "$.steps.verify-customer.response.body.status", equals: "ACTIVE" },
          ],
        };
        d.steps[2].payload.orderId = "$.sagaId";
        d.steps[2].payload.amountCents = "$.input.totalCents";
        d.steps[3].payload.orderId = "$.sagaId";
      }),
    );
  });

  it("reads the output of an earlier step, with its enum", () => {
    expectValid(
      withWhen(3, { path: "$.steps.verify-customer.response.body.status", in: ["ACTIVE"] }),
    );
  });
});

describe("problems in a condition", () => {
  it("a path to an undeclared field", () => {
    expectProblem(
      withWhen(0, { path: "$.input.amount", greaterThan: 5 }, verifyOnlyWhenLarge),
      C.pathNotInSchema,
      ["steps", 0, "when", "path"],
    );
  });

  it("a comparison that does not fit the field's type", () => {
    expectProblem(
      withWhen(0, { path: "$.input.customerId", greaterThan: 5 }, verifyOnlyWhenLarge),
      C.conditionTypeMismatch,
      ["steps", 0, "when", "greaterThan"],
    );
    expectProblem(
      withWhen(0, { path: "$.input.totalCents", equals: "big" }, verifyOnlyWhenLarge),
      C.conditionTypeMismatch,
      ["steps", 0, "when", "equals"],
    );
  });

  it("a literal that can never match the field's enum", () => {
    const problem = expectProblem(
      withWhen(1, { path: "$.steps.verify-customer.response.body.status", equals: "GOLD" }),
      C.conditionNeverMatches,
      ["steps", 1, "when", "equals"],
    );
    expect(problem.message).toContain('"ACTIVE", "SUSPENDED"');
    expectProblem(
      withWhen(
        0,
        { path: "$.input.channel", in: ["web", "phone"], ifMissing: false },
        verifyOnlyWhenLarge,
      ),
      C.conditionNeverMatches,
      ["steps", 0, "when", "in"],
    );
  });

  it("an optional field read unguarded (a guard in a sibling of any does not count)", () => {
    expectProblem(
      withWhen(0, { path: "$.input.note", equals: "rush" }, verifyOnlyWhenLarge),
      C.conditionUnguarded,
      ["steps", 0, "when", "path"],
    );
    // A guard after the comparison does not protect it.
    expectProblem(
      withWhen(
        0,
        {
          all: [
            { path: "$.input.note", equals: "rush" },
            { path: "$.input.note", exists: true },
          ],
        },
        verifyOnlyWhenLarge,
      ),
      C.conditionUnguarded,
      ["steps", 0, "when", "all", 0, "path"],
    );
    expectProblem(
      withWhen(
        0,
        {
          any: [
            { path: "$.input.note", exists: true },
            { path: "$.input.note", equals: "rush" },
          ],
        },
        verifyOnlyWhenLarge,
      ),
      C.conditionUnguarded,
      ["steps", 0, "when", "any", 1, "path"],
    );
  });

  it("the output of a step that may not have run, in a condition", () => {
    expectProblem(
      withWhen(0, { path: "$.input.totalCents", greaterThan: 100_000 }, (d) => {
        d.steps[1].payload.customerId = "$.input.customerId";
        d.steps[1].when = {
          path: "$.steps.verify-customer.response.body.status",
          equals: "ACTIVE",
        };
      }),
      C.conditionUnguarded,
      ["steps", 1, "when", "path"],
    );
  });

  it("a later step's mapping that reads a step that may not have run", () => {
    expectProblem(
      withWhen(0, { path: "$.input.totalCents", greaterThan: 100_000 }),
      C.pathStepMayNotRun,
      ["steps", 1, "payload", "customerId"],
    );
  });

  it("a conditional pivot", () => {
    expectProblem(withWhen(2, { path: "$.input.totalCents", greaterThan: 0 }), C.pivotConditional, [
      "steps",
      2,
      "when",
    ]);
  });

  it("stepRan naming a step that does not run earlier", () => {
    expectProblem(withWhen(1, { stepRan: "approve-order" }), C.conditionStepNotEarlier, [
      "steps",
      1,
      "when",
      "stepRan",
    ]);
  });

  it("a malformed condition, at its place, without hiding the step's other problems", () => {
    expectProblem(
      withWhen(1, { path: "$.input.totalCents", greaterThan: 5, lessThan: 9 }),
      C.conditionInvalid,
      ["steps", 1, "when"],
    );
    expectProblem(
      withWhen(1, { all: [{ path: "$.input.channel", in: "web" }] }),
      C.conditionInvalid,
      ["steps", 1, "when", "all", 0, "in"],
    );
    const result = compile(
      withWhen(1, { all: [] }, (d) => {
        d.steps[1].payload.totalCents = "$.input.nothing";
      }),
    );
    expect(result.diagnostics.map((d) => d.code)).toEqual(
      expect.arrayContaining([C.conditionInvalid, C.pathNotInSchema]),
    );
  });
});

describe("evaluation", () => {
  it("stops an all at the first false condition, so a guard keeps a comparison from reading", () => {
    const verdict = evaluateCondition(
      {
        all: [
          { path: "$.input.note", ref: ["input", "note"], exists: true },
          {
            path: "$.input.note",
            ref: ["input", "note"],
            test: "equals",
            value: "x",
            ifMissing: true,
          },
        ],
      },
      { input: {} },
      () => true,
    );
    expect(verdict).toEqual({ holds: false, compared: [{ path: "$.input.note", missing: true }] });
  });

  it("uses ifMissing for an absent value, and reads own properties only", () => {
    const condition = {
      path: "$.input.constructor",
      ref: ["input", "constructor"],
      test: "equals" as const,
      value: "x",
      ifMissing: true,
    };
    expect(evaluateCondition(condition, { input: {} }, () => true).holds).toBe(true);
    expect(describeCondition(condition)).toBe('$.input.constructor = "x"');
  });
});

describe("the diagram", () => {
  it("enters a conditional step through a choice: taken when the condition holds, else not taken", () => {
    const saga = expectValid(
      withWhen(0, { path: "$.input.totalCents", greaterThan: 100_000 }, verifyOnlyWhenLarge),
    );
    const diagram = renderMermaid(saga);
    expect(diagram).toContain("  state when_step_verify_customer <<choice>>");
    expect(diagram).toContain("  [*] --> when_step_verify_customer");
    expect(diagram).toContain(
      "  when_step_verify_customer --> step_verify_customer: when $.input.totalCents > 100000",
    );
    expect(diagram).toContain(
      "  when_step_verify_customer --> step_create_order: otherwise (not taken)",
    );
  });
});

describe("problems located in the file", () => {
  it("reports each condition problem at its line and column: undeclared field, type mismatch, unguarded optional field, a step that may not have run, a conditional pivot", () => {
    const text = `${JSON.stringify(
      withWhen(
        1,
        {
          all: [
            { path: "$.input.note", equals: "rush" },
            { path: "$.input.totalCents", equals: "big" },
            { path: "$.input.amount", greaterThan: 5 },
          ],
        },
        (d) => {
          d.steps[3].when = { path: "$.input.totalCents", greaterThan: 0 };
          d.steps[2].when = { path: "$.input.totalCents", greaterThan: 0 };
        },
      ),
      null,
      2,
    )}\n`;
    const result = checkDefinitionText(text, "create-order.saga.json", {
      contracts: serviceContracts,
      fileName: "create-order.saga.json",
    });
    const at = (code: string) => result.problems.find((problem) => problem.code === code);
    const lines = text.split("\n");
    const unguarded = at(C.conditionUnguarded);
    expect(lines[(unguarded?.line ?? 0) - 1]).toContain('"path": "$.input.note"');
    expect(unguarded?.column).toBeGreaterThan(1);
    const line = (code: string) => lines[(at(code)?.line ?? 0) - 1];
    expect(line(C.conditionTypeMismatch)).toContain('"equals": "big"');
    expect(line(C.pathNotInSchema)).toContain('"path": "$.input.amount"');
    // create-order is conditional: reserve-credit's payload may not read it unguarded.
    expect(line(C.pathStepMayNotRun)).toContain('"orderId": "$.steps.create-order.reply.orderId"');
    expect(line(C.pivotConditional)).toContain('"when"');
    for (const problem of result.problems) {
      expect(problem.line, problem.code).toBeGreaterThan(1);
      expect(problem.column, problem.code).toBeGreaterThan(1);
    }
  });
});
