// Issue 8: one module defines the mapping context; the validator's `$.failure` schema and the
// engine's builder come from it, so the failure kinds cannot drift again.
import { describe, expect, it } from "vitest";
import { compileMapping, evaluateMapping } from "./mapping.ts";
import {
  buildMappingContext,
  FAILURE_KINDS,
  FAILURE_SCHEMA,
  type FailureKind,
} from "./mapping-context.ts";
import { compile, expectValid, type Loose, validDefinition } from "./test-fixtures.ts";

describe("the mapping context", () => {
  it("lists the failure kinds the engine emits in the schema the validator checks against", () => {
    const engineKinds: FailureKind[] = [
      "business-failure",
      "non-retryable",
      "exhausted",
      "deadline",
      "operator",
      "parent",
    ];
    expect([...FAILURE_KINDS].sort()).toEqual([...engineKinds].sort());
    const kind = (FAILURE_SCHEMA as { properties: { kind: { enum: string[] } } }).properties.kind;
    expect(kind.enum).toEqual([...FAILURE_KINDS]);
    expect(kind.enum).not.toContain("retries-exhausted");
    expect(kind.enum).not.toContain("saga-timeout");
  });

  it("builds what the validated paths read: replies, responses, input, saga id and failure", () => {
    const saga = expectValid(validDefinition());
    const outputs: Record<string, unknown> = {
      "verify-customer": { status: 200, body: { id: "c-1" } },
      "create-order": { orderId: "o-1", totalCents: 5 },
    };
    const context = buildMappingContext({
      input: { customerId: "c-1" },
      sagaId: "s-1",
      steps: saga.steps,
      outputOf: (step) => (outputs[step] as never) ?? null,
      failure: { step: "reserve-credit", kind: "exhausted", code: "X", message: "why" },
    });
    const read = (path: string) => evaluateMapping(compileMapping(path), context);
    expect(read("$.steps.verify-customer.response.body.id")).toBe("c-1");
    expect(read("$.steps.create-order.reply.orderId")).toBe("o-1");
    expect(read("$.steps.reserve-credit.reply")).toBeUndefined();
    expect(read("$.input.customerId")).toBe("c-1");
    expect(read("$.sagaId")).toBe("s-1");
    expect(read("$.failure.kind")).toBe("exhausted");
  });

  it("accepts a compensation that maps $.failure.kind into a field and refuses unknown failure fields", () => {
    const ok: Loose = validDefinition();
    ok.steps[1].compensation.payload.reason = "$.failure.kind";
    expectValid(ok);
    const bad: Loose = validDefinition();
    bad.steps[1].compensation.payload.reason = "$.failure.reason";
    const result = compile(bad);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.diagnostics.map((d) => d.code)).toContain("SAGA_PATH_NOT_IN_SCHEMA");
  });
});
