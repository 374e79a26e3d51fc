// Property-based tests: whatever JSON arrives, the compiler never throws; it returns either a
// compiled saga whose state machine is consistent, or a non-empty list of located problems.
import { serviceContracts } from "@sagaworks/contracts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CompileResult, compileSaga } from "./compile.ts";
import { stateTargets } from "./compiled-saga.ts";
import { type Loose, validDefinition } from "./test-fixtures.ts";

function compile(definition: unknown): CompileResult {
  return compileSaga(definition, { contracts: serviceContracts });
}

function expectWellFormed(result: CompileResult) {
  if (result.ok) {
    const { saga } = result;
    expect(saga.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(saga.states[saga.initial]).toBeDefined();
    for (const state of Object.values(saga.states)) {
      if (state.type === "final") continue;
      for (const target of stateTargets(state)) expect(saga.states[target]).toBeDefined();
    }
    const pivot = saga.steps.findIndex((step) => step.role === "pivot");
    saga.steps.forEach((step, index) => {
      if (pivot >= 0 && index > pivot) expect(step.compensation).toBeNull();
      if (pivot >= 0 && index < pivot)
        expect(step.compensation !== null || step.role === "read-only").toBe(true);
    });
    return;
  }
  expect(result.diagnostics.length).toBeGreaterThan(0);
  for (const diagnostic of result.diagnostics) {
    expect(diagnostic.code).toMatch(/^SAGA_[A-Z_]+$/);
    expect(Array.isArray(diagnostic.path)).toBe(true);
    expect(diagnostic.pointer.startsWith("$")).toBe(true);
    expect(diagnostic.message.length).toBeGreaterThan(10);
  }
}

/** Every path (object keys and array indexes) inside a JSON value. */
function pathsOf(
  value: unknown,
  prefix: Array<string | number> = [],
): Array<Array<string | number>> {
  const own = [prefix];
  if (Array.isArray(value)) {
    return [...own, ...value.flatMap((item, index) => pathsOf(item, [...prefix, index]))];
  }
  if (value !== null && typeof value === "object") {
    return [
      ...own,
      ...Object.entries(value).flatMap(([key, field]) => pathsOf(field, [...prefix, key])),
    ];
  }
  return own;
}

type Mutation =
  | { op: "replace"; at: number; value: unknown }
  | { op: "delete"; at: number }
  | { op: "swap-steps"; a: number; b: number }
  | { op: "duplicate-step"; at: number };

function mutate(definition: Loose, mutation: Mutation) {
  if (mutation.op === "swap-steps" || mutation.op === "duplicate-step") {
    const steps = definition?.steps;
    if (!Array.isArray(steps) || steps.length === 0) return;
    if (mutation.op === "swap-steps") {
      const a = mutation.a % steps.length;
      const b = mutation.b % steps.length;
      [steps[a], steps[b]] = [steps[b], steps[a]];
    } else {
      steps.push(structuredClone(steps[mutation.at % steps.length]));
    }
    return;
  }
  const paths = pathsOf(definition).filter((path) => path.length > 0);
  if (paths.length === 0) return;
  const path = paths[mutation.at % paths.length] as Array<string | number>;
  let parent = definition;
  for (const segment of path.slice(0, -1)) parent = parent[segment];
  const last = path[path.length - 1] as string | number;
  if (mutation.op === "delete") {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else {
    parent[last] = mutation.value;
  }
}

const interestingValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    "$.input.customerId",
    "$.steps.create-order.reply.orderId",
    "$.steps.approve-order.reply.orderId",
    "$.failure.message",
    "$",
    "$.",
    "$$x",
    "1m",
    "unlimited",
    "command",
    "http",
    true,
    0,
    -1,
    1e308,
    "CreateOrder",
    "order",
    "customer",
  ),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: interestingValue }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("swap-steps" as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ op: fc.constant("duplicate-step" as const), at: fc.nat() }),
);

describe("the compiler on random input", () => {
  it("never throws on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expectWellFormed(compile(value));
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on mutated definitions, and reports problems with paths", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
        const definition = validDefinition();
        for (const change of mutations) mutate(definition, change);
        const result = compile(definition);
        expectWellFormed(result);
        // Deterministic: the same input gives the same answer.
        expect(compile(definition)).toEqual(result);
      }),
      { numRuns: 400 },
    );
  });

  it("compiles randomly shaped sagas into consistent machines, or explains why not", () => {
    const step = fc.record({
      kind: fc.constantFrom("reserve", "approve", "create", "verify"),
      pivot: fc.boolean(),
      compensate: fc.boolean(),
      readOnly: fc.boolean(),
      unlimited: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (shape) => {
        const base = validDefinition();
        const templates: Record<string, Loose> = {
          verify: base.steps[0],
          create: base.steps[1],
          reserve: base.steps[2],
          approve: base.steps[3],
        };
        base.steps = shape.map((spec, index) => {
          const stepDefinition = structuredClone(templates[spec.kind]);
          stepDefinition.name = `${spec.kind}-${index}`;
          delete stepDefinition.pivot;
          if (spec.pivot) stepDefinition.pivot = true;
          if (!spec.compensate) delete stepDefinition.compensation;
          if (spec.readOnly) stepDefinition.readOnly = true;
          else delete stepDefinition.readOnly;
          stepDefinition.retry = { maxAttempts: spec.unlimited ? "unlimited" : 3 };
          return stepDefinition;
        });
        expectWellFormed(compile(base));
      }),
      { numRuns: 300 },
    );
  });
});
